#include "services/converger/job_inputs.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"
#include "libs/oci/docker_config.h"
#include "libs/oci/reference.h"

namespace werf::converger {
namespace {

using nlohmann::json;

constexpr absl::string_view kDefaultValuesKey = "values.yaml";

std::string KindName(pb::ValuesSourceKind kind) {
  return kind == pb::VALUES_SOURCE_KIND_SECRET ? "Secret" : "ConfigMap";
}

std::string Describe(absl::string_view kind, absl::string_view ns, absl::string_view name) {
  return absl::StrCat(kind, " \"", name, "\" in namespace \"", ns, "\"");
}

// `Kind "name" not found in namespace "ns"`, the way kubectl users read it.
std::string NotFound(absl::string_view kind, absl::string_view ns, absl::string_view name) {
  return absl::StrCat(kind, " \"", name, "\" not found in namespace \"", ns, "\"");
}

// A string field of a Secret's `data`, decoded; NotFound when absent.
absl::StatusOr<std::string> SecretData(const json& secret, absl::string_view key) {
  const json* data = secret.contains("data") ? &secret.at("data") : nullptr;
  if (data == nullptr || !data->is_object() || !data->contains(key) || !data->at(key).is_string()) {
    return absl::NotFoundError(absl::StrCat("no key \"", key, "\""));
  }
  std::string decoded;
  if (!absl::Base64Unescape(data->at(key).get<std::string>(), &decoded)) {
    return absl::DataLossError(absl::StrCat("key \"", key, "\" is not valid base64"));
  }
  return decoded;
}

// The object, or nullopt when it does not exist; other API errors with context.
absl::StatusOr<std::optional<json>> GetIfExists(kube::RestClient& client, const kube::Resource& resource,
                                                absl::string_view kind, absl::string_view ns,
                                                absl::string_view name) {
  absl::StatusOr<json> object = client.Get(resource, ns, name);
  if (object.ok()) return std::optional<json>(*std::move(object));
  if (kube::IsApiNotFound(object.status())) return std::optional<json>();
  return absl::Status(object.status().code(), absl::StrCat("reading ", Describe(kind, ns, name), ": ",
                                                           object.status().message()));
}

// A Secret the request names and cannot do without: `purpose` and `field` name it in
// the message ("registry credentials", "spec.registry.secretRef") and `fix` says what to do.
absl::StatusOr<json> ReadRequiredSecret(kube::RestClient& client, const pb::ConvergeRequest& request,
                                        const pb::ObjectRef& ref, absl::string_view purpose,
                                        absl::string_view field, absl::string_view fix,
                                        std::string* ns_out) {
  const std::string ns = ref.namespace_().empty() ? request.bundle().namespace_() : ref.namespace_();
  *ns_out = ns;
  absl::StatusOr<std::optional<json>> secret =
      GetIfExists(client, kube::resources::kSecrets, "Secret", ns, ref.name());
  if (!secret.ok()) return secret.status();
  if (!secret->has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(purpose, " ", NotFound("Secret", ns, ref.name()), " (", field, ")", fix));
  }
  return **std::move(secret);
}

absl::StatusOr<std::string> ReadCredentials(kube::RestClient& client, const pb::ConvergeRequest& request,
                                            const pb::ObjectRef& ref) {
  std::string ns;
  absl::StatusOr<json> secret =
      ReadRequiredSecret(client, request, ref, "registry credentials", "spec.registry.secretRef",
                         "; create it or remove the reference", &ns);
  if (!secret.ok()) return secret.status();
  absl::StatusOr<std::string> config = DockerConfigFromSecret(*secret, request.repository());
  if (!config.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("registry credentials ",
                                                      Describe("Secret", ns, ref.name()), ": ",
                                                      config.status().message()));
  }
  return config;
}

absl::StatusOr<std::string> ReadCa(kube::RestClient& client, const pb::ConvergeRequest& request,
                                   const pb::ObjectRef& ref) {
  std::string ns;
  absl::StatusOr<json> secret = ReadRequiredSecret(client, request, ref, "registry CA",
                                                   "spec.registry.caSecretRef", "", &ns);
  if (!secret.ok()) return secret.status();
  absl::StatusOr<std::string> pem = SecretData(*secret, "ca.crt");
  if (!pem.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("registry CA ", Describe("Secret", ns, ref.name()),
                                                      ": ", pem.status().message(),
                                                      "; put the PEM CA bundle under ca.crt"));
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::string> ValuesFromObject(pb::ValuesSourceKind kind, const json& object,
                                             absl::string_view key) {
  const std::string wanted(key.empty() ? kDefaultValuesKey : key);
  if (kind == pb::VALUES_SOURCE_KIND_SECRET) return SecretData(object, wanted);
  if (object.contains("data") && object["data"].is_object() && object["data"].contains(wanted) &&
      object["data"][wanted].is_string()) {
    return object["data"][wanted].get<std::string>();
  }
  if (object.contains("binaryData") && object["binaryData"].is_object() &&
      object["binaryData"].contains(wanted) && object["binaryData"][wanted].is_string()) {
    std::string decoded;
    if (!absl::Base64Unescape(object["binaryData"][wanted].get<std::string>(), &decoded)) {
      return absl::DataLossError(absl::StrCat("binaryData key \"", wanted, "\" is not valid base64"));
    }
    return decoded;
  }
  return absl::NotFoundError(absl::StrCat("no key \"", wanted, "\""));
}

absl::StatusOr<std::string> DockerConfigFromSecret(const json& secret, absl::string_view repository) {
  oci::SecretData data;
  if (const auto fields = secret.find("data"); fields != secret.end() && fields->is_object()) {
    for (const auto& [key, value] : fields->items()) {
      std::string decoded;
      if (!value.is_string() || !absl::Base64Unescape(value.get<std::string>(), &decoded)) {
        return absl::InvalidArgumentError(absl::StrCat("key \"", key, "\" is not valid base64"));
      }
      data[key] = std::move(decoded);
    }
  }
  absl::StatusOr<oci::RepositoryRef> parsed = oci::RepositoryRef::Parse(repository);
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.status().message());
  return oci::DockerConfigJsonFromSecret(secret.value("type", ""), data, *parsed);
}

absl::StatusOr<JobInputs> ReadJobInputs(kube::RestClient& client, const pb::ConvergeRequest& request) {
  JobInputs inputs;
  for (int i = 0; i < request.values_from_size(); ++i) {
    const pb::ValuesSource& source = request.values_from(i);
    const std::string kind = KindName(source.kind());
    const std::string ns =
        source.object().namespace_().empty() ? request.bundle().namespace_() : source.object().namespace_();
    const std::string& name = source.object().name();
    const kube::Resource& resource = source.kind() == pb::VALUES_SOURCE_KIND_SECRET
                                         ? kube::resources::kSecrets
                                         : kube::resources::kConfigMaps;
    const std::string where = absl::StrCat(" (spec.converge.valuesFrom[", i, "])");
    absl::StatusOr<std::optional<json>> object = GetIfExists(client, resource, kind, ns, name);
    if (!object.ok()) return object.status();
    if (!object->has_value()) {
      if (source.optional()) {
        common::LogInfo("optional values source missing; skipped",
                        {{"bundle", request.bundle().name()}, {"namespace", ns}, {"source", kind + "/" + name}});
        continue;
      }
      return absl::FailedPreconditionError(absl::StrCat(
          NotFound(kind, ns, name), where, "; create it or mark the source optional"));
    }
    absl::StatusOr<std::string> values = ValuesFromObject(source.kind(), **object, source.key());
    if (absl::IsNotFound(values.status()) && source.optional()) continue;
    if (!values.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(Describe(kind, ns, name), ": ", values.status().message(), where));
    }
    inputs.values.push_back(*std::move(values));
    inputs.values_from_secret.push_back(source.kind() == pb::VALUES_SOURCE_KIND_SECRET);
  }
  if (!request.access().credentials_secret().name().empty()) {
    absl::StatusOr<std::string> config = ReadCredentials(client, request, request.access().credentials_secret());
    if (!config.ok()) return config.status();
    inputs.docker_config_json = *std::move(config);
  }
  if (!request.access().ca_secret().name().empty()) {
    absl::StatusOr<std::string> pem = ReadCa(client, request, request.access().ca_secret());
    if (!pem.ok()) return pem.status();
    inputs.registry_ca_pem = *std::move(pem);
  }
  return inputs;
}

}  // namespace werf::converger
