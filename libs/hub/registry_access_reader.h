// Turns a repository's RegistryAccess (Secret names, never secret material) into the
// credentials and CA bundle the registry client needs, reading the Secrets through
// the Kubernetes API. With a RegistryAccess.secrets_version (the Secrets'
// resourceVersions as the controller's watch saw them) what was read is kept per
// assignment key until that version changes, so an idle poll cycle reads no Secret;
// without one, the Secrets are read every time (they may rotate). The poller reads
// tags with it; the controller reads a bundle manifest's annotations (GitHub commit
// statuses).
#ifndef WERF_OPERATOR_LIBS_HUB_REGISTRY_ACCESS_READER_H_
#define WERF_OPERATOR_LIBS_HUB_REGISTRY_ACCESS_READER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/kube/rest_client.h"
#include "libs/oci/registry_access.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::hub {

class RegistryAccessReader {
 public:
  // `reader` names the service in RBAC advice ("the poller").
  explicit RegistryAccessReader(std::shared_ptr<kube::RestClient> client, std::string reader = "the poller")
      : client_(std::move(client)), reader_(std::move(reader)) {}

  // Errors are classified as credential problems and name the Secret and key,
  // never a value.
  absl::StatusOr<oci::RegistryAccess> Read(const ::werf::operator_::v1::TrackRepository& track);
  // Drops what is kept for an assignment key (it was untracked).
  void Forget(const std::string& key);
  // Secrets read through the API so far, for tests and benchmarks.
  int64_t secret_reads() const { return secret_reads_.load(); }

 private:
  absl::StatusOr<oci::RegistryAccess> ReadSecrets(const ::werf::operator_::v1::TrackRepository& track);

  struct Kept {
    std::string secrets_version;
    oci::RegistryAccess access;
  };
  std::shared_ptr<kube::RestClient> client_;
  std::string reader_;
  std::atomic<int64_t> secret_reads_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Kept> kept_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::hub

#endif  // WERF_OPERATOR_LIBS_HUB_REGISTRY_ACCESS_READER_H_
