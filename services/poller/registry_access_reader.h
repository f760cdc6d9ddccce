// Turns an assignment's RegistryAccess (Secret names, never secret material)
// into the credentials and CA bundle the registry client needs, reading the
// Secrets through the Kubernetes API each time (they may rotate).
#ifndef WERF_OPERATOR_SERVICES_POLLER_REGISTRY_ACCESS_READER_H_
#define WERF_OPERATOR_SERVICES_POLLER_REGISTRY_ACCESS_READER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "libs/kube/rest_client.h"
#include "libs/oci/registry_access.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::poller {

class RegistryAccessReader {
 public:
  explicit RegistryAccessReader(std::shared_ptr<kube::RestClient> client)
      : client_(std::move(client)) {}

  // Errors are classified as credential problems and name the Secret and key,
  // never a value.
  absl::StatusOr<oci::RegistryAccess> Read(const ::werf::operator_::v1::TrackRepository& track);

 private:
  std::shared_ptr<kube::RestClient> client_;
};

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_REGISTRY_ACCESS_READER_H_
