// Turns a repository's RegistryAccess (Secret names, never secret material) into the
// credentials and CA bundle the registry client needs, reading the Secrets through
// the Kubernetes API each time (they may rotate). The poller reads tags with it; the
// controller reads a bundle manifest's annotations (GitHub commit statuses).
#ifndef WERF_OPERATOR_LIBS_HUB_REGISTRY_ACCESS_READER_H_
#define WERF_OPERATOR_LIBS_HUB_REGISTRY_ACCESS_READER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
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

 private:
  std::shared_ptr<kube::RestClient> client_;
  std::string reader_;
};

}  // namespace werf::hub

#endif  // WERF_OPERATOR_LIBS_HUB_REGISTRY_ACCESS_READER_H_
