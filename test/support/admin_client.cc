#include "test/support/admin_client.h"

#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "libs/common/status_macros.h"
#include "libs/kube/cluster_config.h"

namespace werf::test_support {

absl::StatusOr<std::string> AdminKubeconfig() {
  const char* kubeconfig = std::getenv("KUBECONFIG");
  if (kubeconfig == nullptr || *kubeconfig == '\0') {
    return absl::FailedPreconditionError("KUBECONFIG is not set: the test bed environment did not run");
  }
  return std::string(kubeconfig);
}

absl::StatusOr<std::shared_ptr<kube::RestClient>> AdminClient(kube::RestOptions options) {
  ASSIGN_OR_RETURN(const std::string kubeconfig, AdminKubeconfig());
  ASSIGN_OR_RETURN(kube::ClusterConfig config, kube::LoadKubeconfig(kubeconfig));
  return kube::RestClient::Create(std::move(config), std::move(options));
}

}  // namespace werf::test_support
