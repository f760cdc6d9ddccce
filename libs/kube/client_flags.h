// The Kubernetes client flags every service takes: how fast it may talk to the API server.
// client-go's own defaults (5/10) and controller-runtime's (20/30) throttle an operator of
// thousands of objects long before the API server is busy: the first pass over 10,000
// bundles needs about two writes per bundle. Flux's controllers default to 50/300 for the
// same reason; so do we, and the flags let a large installation go higher.
#ifndef WERF_OPERATOR_LIBS_KUBE_CLIENT_FLAGS_H_
#define WERF_OPERATOR_LIBS_KUBE_CLIENT_FLAGS_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "libs/kube/rest_client.h"

ABSL_DECLARE_FLAG(double, kube_api_qps);
ABSL_DECLARE_FLAG(int, kube_api_burst);

namespace werf::kube {

// RestOptions with the flags' QPS and burst (validated: qps > 0, burst >= 1).
absl::StatusOr<RestOptions> RestOptionsFromFlags();
// A client for `config` with RestOptionsFromFlags(); the error says which step failed.
absl::StatusOr<std::shared_ptr<RestClient>> RestClientFromFlags(ClusterConfig config);

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_CLIENT_FLAGS_H_
