#include "services/converger/job_inputs.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"
#include "libs/oci/ca_bundle.h"
#include "libs/oci/docker_config.h"
#include "libs/oci/reference.h"

namespace werf::converger {
namespace {

using nlohmann::json;

constexpr absl::string_view kDefaultValuesKey = "values.yaml";
// Who reads the Secrets, in kube::ReadSecretIfExists's messages ("... may not read ...").
constexpr absl::string_view kReader = "the converger";

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

// The ConfigMap, or nullopt when it does not exist; other API errors with context.
absl::StatusOr<std::optional<json>> GetConfigMapIfExists(kube::RestClient& client, absl::string_view ns,
                                                         absl::string_view name) {
  absl::StatusOr<json> object = client.Get(kube::resources::kConfigMaps, ns, name);
  if (object.ok()) return std::optional<json>(*std::move(object));
  if (kube::IsApiNotFound(object.status())) return std::optional<json>();
  return common::WithContext(object.status(), absl::StrCat("reading ", Describe("ConfigMap", ns, name)));
}

// The decoded data of the valuesFrom[`index`] object, or nullopt when it does not exist.
absl::StatusOr<std::optional<kube::DecodedData>> ReadValuesSource(kube::RestClient& client,
                                                                  const pb::ValuesSource& source,
                                                                  absl::string_view ns, int index) {
  const std::string& name = source.object().name();
  if (source.kind() == pb::VALUES_SOURCE_KIND_SECRET) {
    ASSIGN_OR_RETURN(std::optional<kube::SecretContent> secret,
                     kube::ReadSecretIfExists(client, ns, name,
                                              absl::StrCat("values (spec.converge.valuesFrom[", index, "])"),
                                              kReader));
    if (!secret.has_value()) return std::optional<kube::DecodedData>();
    return std::optional<kube::DecodedData>(std::move(secret->data));
  }
  ASSIGN_OR_RETURN(std::optional<json> config_map, GetConfigMapIfExists(client, ns, name));
  if (!config_map.has_value()) return std::optional<kube::DecodedData>();
  absl::StatusOr<kube::DecodedData> data = ConfigMapData(*config_map);
  if (!data.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(Describe("ConfigMap", ns, name), ": ",
                                                      data.status().message(), " (spec.converge.valuesFrom[",
                                                      index, "])"));
  }
  return std::optional<kube::DecodedData>(*std::move(data));
}

// A Secret the request names and cannot do without: `purpose` and `field` name it in
// the message ("registry credentials", "spec.registry.secretRef") and `fix` says what to do.
absl::StatusOr<kube::SecretContent> ReadRequiredSecret(kube::RestClient& client, absl::string_view ns,
                                                       const pb::ObjectRef& ref, absl::string_view purpose,
                                                       absl::string_view field, absl::string_view fix) {
  ASSIGN_OR_RETURN(std::optional<kube::SecretContent> secret,
                   kube::ReadSecretIfExists(client, ns, ref.name(), purpose, kReader));
  if (!secret.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(purpose, " ", NotFound("Secret", ns, ref.name()), " (", field, ")", fix));
  }
  return *std::move(secret);
}

// The reference's namespace; the bundle's when it names none.
std::string NamespaceOf(const pb::ObjectRef& ref, const pb::ConvergeRequest& request) {
  return ref.namespace_().empty() ? request.bundle().namespace_() : ref.namespace_();
}

absl::StatusOr<std::string> ReadCredentials(kube::RestClient& client, const pb::ConvergeRequest& request,
                                            const pb::ObjectRef& ref) {
  const std::string ns = NamespaceOf(ref, request);
  ASSIGN_OR_RETURN(kube::SecretContent secret,
                   ReadRequiredSecret(client, ns, ref, "registry credentials", "spec.registry.secretRef",
                                      "; create it or remove the reference"));
  absl::StatusOr<std::string> config = DockerConfigFromSecret(secret, request.repository());
  if (!config.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("registry credentials ",
                                                      Describe("Secret", ns, ref.name()), ": ",
                                                      config.status().message()));
  }
  return config;
}

absl::StatusOr<std::string> ReadCa(kube::RestClient& client, const pb::ConvergeRequest& request,
                                   const pb::ObjectRef& ref) {
  const std::string ns = NamespaceOf(ref, request);
  ASSIGN_OR_RETURN(kube::SecretContent secret,
                   ReadRequiredSecret(client, ns, ref, "registry CA", "spec.registry.caSecretRef", ""));
  auto pem = secret.data.find("ca.crt");
  if (pem == secret.data.end()) {
    return absl::FailedPreconditionError(absl::StrCat("registry CA ", Describe("Secret", ns, ref.name()),
                                                      ": no key \"ca.crt\"; put the PEM CA bundle under ca.crt"));
  }
  // Checked here, as the poller checks it, so that a malformed bundle is reported naming
  // the Secret instead of failing later inside werf as an opaque TLS error.
  if (absl::Status valid = oci::ValidateCaBundle(pem->second); !valid.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("registry CA ", Describe("Secret", ns, ref.name()),
                                                      " (spec.registry.caSecretRef) key \"ca.crt\": ", valid.message(),
                                                      "; put a PEM CA bundle there"));
  }
  return std::move(pem->second);
}

}  // namespace

absl::StatusOr<std::string> ValuesFromData(const kube::DecodedData& data, absl::string_view key) {
  const absl::string_view wanted = key.empty() ? kDefaultValuesKey : key;
  auto found = data.find(wanted);
  if (found == data.end()) return absl::NotFoundError(absl::StrCat("no key \"", wanted, "\""));
  return found->second;
}

absl::StatusOr<kube::DecodedData> ConfigMapData(const json& config_map) {
  absl::StatusOr<kube::DecodedData> binary = kube::DecodeBytesField(config_map, "binaryData");
  if (!binary.ok()) return absl::InvalidArgumentError(absl::StrCat("binaryData ", binary.status().message()));
  kube::DecodedData data = *std::move(binary);
  // The API server refuses a key in both; were one there anyway, `data` wins, as it did
  // when this looked in `data` first.
  if (const auto fields = config_map.find("data"); fields != config_map.end() && fields->is_object()) {
    for (const auto& [key, value] : fields->items()) {
      if (value.is_string()) data.insert_or_assign(key, value.get<std::string>());
    }
  }
  return data;
}

absl::StatusOr<std::string> DockerConfigFromSecret(const kube::SecretContent& secret,
                                                   absl::string_view repository) {
  absl::StatusOr<oci::RepositoryRef> parsed = oci::RepositoryRef::Parse(repository);
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.status().message());
  return oci::DockerConfigJsonFromSecret(secret.type, secret.data, *parsed);
}

absl::StatusOr<JobInputs> ReadJobInputs(kube::RestClient& client, const pb::ConvergeRequest& request) {
  JobInputs inputs;
  for (int i = 0; i < request.values_from_size(); ++i) {
    const pb::ValuesSource& source = request.values_from(i);
    const std::string kind = KindName(source.kind());
    const std::string ns = NamespaceOf(source.object(), request);
    const std::string& name = source.object().name();
    const std::string where = absl::StrCat(" (spec.converge.valuesFrom[", i, "])");
    ASSIGN_OR_RETURN(std::optional<kube::DecodedData> data, ReadValuesSource(client, source, ns, i));
    if (!data.has_value()) {
      if (source.optional()) {
        common::LogInfo("optional values source missing; skipped",
                        {{"bundle", request.bundle().name()}, {"namespace", ns}, {"source", kind + "/" + name}});
        continue;
      }
      return absl::FailedPreconditionError(absl::StrCat(
          NotFound(kind, ns, name), where, "; create it or mark the source optional"));
    }
    absl::StatusOr<std::string> values = ValuesFromData(*data, source.key());
    if (absl::IsNotFound(values.status()) && source.optional()) continue;
    if (!values.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(Describe(kind, ns, name), ": ", values.status().message(), where));
    }
    inputs.values.push_back(*std::move(values));
    inputs.values_from_secret.push_back(source.kind() == pb::VALUES_SOURCE_KIND_SECRET);
  }
  if (!request.access().credentials_secret().name().empty()) {
    ASSIGN_OR_RETURN(inputs.docker_config_json,
                     ReadCredentials(client, request, request.access().credentials_secret()));
  }
  if (!request.access().ca_secret().name().empty()) {
    ASSIGN_OR_RETURN(inputs.registry_ca_pem, ReadCa(client, request, request.access().ca_secret()));
  }
  return inputs;
}

}  // namespace werf::converger
