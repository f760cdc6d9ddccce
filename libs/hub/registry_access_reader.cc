#include "libs/hub/registry_access_reader.h"

#include "absl/strings/str_cat.h"
#include "libs/kube/secret_reader.h"
#include "libs/oci/ca_bundle.h"
#include "libs/oci/docker_config.h"
#include "libs/oci/errors.h"
#include "libs/oci/reference.h"

namespace werf::hub {
namespace {

absl::Status CredentialsError(absl::string_view message) {
  return oci::MakeError(absl::StatusCode::kFailedPrecondition, message,
                        {.reason = oci::ErrorReason::kCredentials});
}

// The registry client's error classes for what kube::ReadSecret reports.
absl::StatusOr<kube::SecretContent> ReadSecret(kube::RestClient& client,
                                               const ::werf::operator_::v1::ObjectRef& ref,
                                               absl::string_view purpose, absl::string_view reader) {
  absl::StatusOr<kube::SecretContent> secret = kube::ReadSecret(client, ref.namespace_(), ref.name(), purpose, reader);
  if (secret.ok()) return secret;
  if (absl::IsUnavailable(secret.status())) {
    return oci::MakeError(absl::StatusCode::kUnavailable, secret.status().message(),
                          {.reason = oci::ErrorReason::kUnavailable});
  }
  return CredentialsError(secret.status().message());
}

// plain_http implies insecure (hub.proto); it goes straight to HTTP, without trying TLS first.
oci::TransportSecurity SecurityOf(const ::werf::operator_::v1::TrackRepository& track) {
  return track.access().plain_http() ? oci::TransportSecurity::kPlainHttp
         : track.access().insecure() ? oci::TransportSecurity::kInsecure
                                     : oci::TransportSecurity::kTls;
}

}  // namespace

absl::StatusOr<oci::RegistryAccess> RegistryAccessReader::Read(
    const ::werf::operator_::v1::TrackRepository& track) {
  const std::string& version = track.access().secrets_version();
  if (!version.empty()) {
    absl::MutexLock lock(&mu_);
    auto kept = kept_.find(track.key());
    if (kept != kept_.end() && kept->second.secrets_version == version) {
      // Only what came from the Secrets is kept: plainHTTP and insecure may change
      // under the same key and version.
      oci::RegistryAccess access = kept->second.access;
      access.security = SecurityOf(track);
      return access;
    }
  }
  absl::StatusOr<oci::RegistryAccess> access = ReadSecrets(track);
  if (!access.ok() || version.empty()) return access;
  absl::MutexLock lock(&mu_);
  kept_[track.key()] = {.secrets_version = version, .access = *access};
  return access;
}

void RegistryAccessReader::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  kept_.erase(key);
}

absl::StatusOr<oci::RegistryAccess> RegistryAccessReader::ReadSecrets(
    const ::werf::operator_::v1::TrackRepository& track) {
  oci::RegistryAccess access;
  access.security = SecurityOf(track);
  if (!track.access().credentials_secret().name().empty()) {
    secret_reads_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<kube::SecretContent> secret =
        ReadSecret(*client_, track.access().credentials_secret(), "registry credentials", reader_);
    if (!secret.ok()) return secret.status();
    absl::StatusOr<oci::RepositoryRef> repository = oci::RepositoryRef::Parse(track.repository());
    if (!repository.ok()) return repository.status();
    absl::StatusOr<std::optional<oci::Credentials>> credentials =
        oci::CredentialsFromSecret(secret->type, secret->data, *repository);
    if (!credentials.ok()) {
      // Named by the spec field, not the Secret: bundles whose Secrets hold the same
      // content share one poll (RepositoryKey), and the Secret read may be another
      // namespace's, whose name is not theirs to see.
      return CredentialsError(absl::StrCat("registry credentials Secret (spec.registry.secretRef): ",
                                           credentials.status().message()));
    }
    access.credentials = std::move(*credentials);
  }
  if (!track.access().ca_secret().name().empty()) {
    secret_reads_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<kube::SecretContent> secret =
        ReadSecret(*client_, track.access().ca_secret(), "registry CA", reader_);
    if (!secret.ok()) return secret.status();
    auto ca = secret->data.find("ca.crt");
    if (ca == secret->data.end()) {
      return CredentialsError("registry CA Secret (spec.registry.caSecretRef) has no key \"ca.crt\"");
    }
    if (absl::Status valid = oci::ValidateCaBundle(ca->second); !valid.ok()) {
      return CredentialsError(
          absl::StrCat("registry CA Secret (spec.registry.caSecretRef) key \"ca.crt\": ", valid.message()));
    }
    access.ca_pem = ca->second;
  }
  return access;
}

}  // namespace werf::hub
