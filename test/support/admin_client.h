// A Kubernetes client with the test bed's admin credentials, built the way the services
// build theirs (werf::kube::LoadKubeconfig), for tests that set up or inspect objects
// through the API rather than through kubectl.
#ifndef WERF_OPERATOR_TEST_SUPPORT_ADMIN_CLIENT_H_
#define WERF_OPERATOR_TEST_SUPPORT_ADMIN_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/kube/rest_client.h"

namespace werf::test_support {

// $KUBECONFIG, which the test bed environment (werf_testbed_support) exports into this
// process before the first test: for kubectl --kubeconfig where a helper needs kubectl
// (YAML manifests). FailedPrecondition when it is not set.
absl::StatusOr<std::string> AdminKubeconfig();

// A client from AdminKubeconfig().
absl::StatusOr<std::shared_ptr<kube::RestClient>> AdminClient(kube::RestOptions options = {});

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_ADMIN_CLIENT_H_
