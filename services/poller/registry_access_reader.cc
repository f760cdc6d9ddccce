#include "services/poller/registry_access_reader.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/kube/api_error.h"
#include "libs/oci/ca_bundle.h"
#include "libs/oci/docker_config.h"
#include "libs/oci/errors.h"
#include "libs/oci/reference.h"

namespace werf::poller {
namespace {

absl::Status CredentialsError(absl::string_view message) {
  return oci::MakeError(absl::StatusCode::kFailedPrecondition, message,
                        {.reason = oci::ErrorReason::kCredentials});
}

struct SecretContent {
  std::string type;
  oci::SecretData data;
};

absl::StatusOr<SecretContent> ReadSecret(kube::RestClient& client,
                                         const ::werf::operator_::v1::ObjectRef& ref,
                                         absl::string_view purpose) {
  absl::StatusOr<nlohmann::json> secret =
      client.Get(kube::resources::kSecrets, ref.namespace_(), ref.name());
  const std::string name = absl::StrCat("Secret \"", ref.name(), "\" in namespace \"",
                                        ref.namespace_(), "\"");
  if (!secret.ok()) {
    if (kube::IsApiNotFound(secret.status())) {
      return CredentialsError(absl::StrCat(purpose, " ", name, " not found: create it or fix the bundle"));
    }
    if (kube::IsApiForbidden(secret.status())) {
      return CredentialsError(absl::StrCat("the poller may not read ", purpose, " ", name,
                                           ": grant it get on secrets"));
    }
    return oci::MakeError(absl::StatusCode::kUnavailable,
                          absl::StrCat("cannot read ", purpose, " ", name, ": ",
                                       secret.status().message()),
                          {.reason = oci::ErrorReason::kUnavailable});
  }
  SecretContent content;
  content.type = secret->value("type", "Opaque");
  const nlohmann::json data = secret->value("data", nlohmann::json::object());
  for (const auto& [key, value] : data.items()) {
    std::string decoded;
    if (!value.is_string() || !absl::Base64Unescape(value.get<std::string>(), &decoded)) {
      return CredentialsError(absl::StrCat(name, " key \"", key, "\" is not valid base64"));
    }
    content.data[key] = std::move(decoded);
  }
  return content;
}

}  // namespace

absl::StatusOr<oci::RegistryAccess> RegistryAccessReader::Read(
    const ::werf::operator_::v1::TrackRepository& track) {
  oci::RegistryAccess access;
  // plain_http implies insecure (hub.proto); it goes straight to HTTP, without trying TLS first.
  access.security = track.access().plain_http() ? oci::TransportSecurity::kPlainHttp
                    : track.access().insecure() ? oci::TransportSecurity::kInsecure
                                                : oci::TransportSecurity::kTls;
  if (!track.access().credentials_secret().name().empty()) {
    absl::StatusOr<SecretContent> secret =
        ReadSecret(*client_, track.access().credentials_secret(), "registry credentials");
    if (!secret.ok()) return secret.status();
    absl::StatusOr<oci::RepositoryRef> repository = oci::RepositoryRef::Parse(track.repository());
    if (!repository.ok()) return repository.status();
    absl::StatusOr<std::optional<oci::Credentials>> credentials =
        oci::CredentialsFromSecret(secret->type, secret->data, *repository);
    if (!credentials.ok()) {
      return CredentialsError(absl::StrCat("registry credentials Secret \"",
                                           track.access().credentials_secret().name(), "\": ",
                                           credentials.status().message()));
    }
    access.credentials = std::move(*credentials);
  }
  if (!track.access().ca_secret().name().empty()) {
    absl::StatusOr<SecretContent> secret =
        ReadSecret(*client_, track.access().ca_secret(), "registry CA");
    if (!secret.ok()) return secret.status();
    auto ca = secret->data.find("ca.crt");
    if (ca == secret->data.end()) {
      return CredentialsError(absl::StrCat("registry CA Secret \"", track.access().ca_secret().name(),
                                           "\" has no key \"ca.crt\""));
    }
    if (absl::Status valid = oci::ValidateCaBundle(ca->second); !valid.ok()) {
      return CredentialsError(absl::StrCat("registry CA Secret \"", track.access().ca_secret().name(),
                                           "\" key \"ca.crt\": ", valid.message()));
    }
    access.ca_pem = ca->second;
  }
  return access;
}

}  // namespace werf::poller
