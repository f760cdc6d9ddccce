#include "libs/kube/client_flags.h"

#include <cmath>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_context.h"

ABSL_FLAG(double, kube_api_qps, 50,
          "Kubernetes API requests per second on average (a client-side token bucket, as "
          "client-go's)");
ABSL_FLAG(int, kube_api_burst, 300, "Kubernetes API requests allowed in a burst above --kube_api_qps");

namespace werf::kube {

absl::StatusOr<RestOptions> RestOptionsFromFlags() {
  RestOptions options;
  options.qps = absl::GetFlag(FLAGS_kube_api_qps);
  options.burst = absl::GetFlag(FLAGS_kube_api_burst);
  if (!(options.qps > 0) || !std::isfinite(options.qps)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kube_api_qps must be a positive number, not ", options.qps));
  }
  if (options.burst < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kube_api_burst must be at least 1, not ", options.burst));
  }
  return options;
}

absl::StatusOr<std::shared_ptr<RestClient>> RestClientFromFlags(ClusterConfig config) {
  absl::StatusOr<RestOptions> options = RestOptionsFromFlags();
  if (!options.ok()) {
    return common::WithContext(options.status(), "invalid Kubernetes client flags");
  }
  absl::StatusOr<std::shared_ptr<RestClient>> client = RestClient::Create(std::move(config), *options);
  if (!client.ok()) {
    return common::WithContext(client.status(), "cannot create the Kubernetes client");
  }
  return client;
}

}  // namespace werf::kube
