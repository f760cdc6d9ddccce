#include "libs/kube/client_flags.h"

#include <cmath>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

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
    return absl::Status(options.status().code(),
                        absl::StrCat("invalid Kubernetes client flags: ", options.status().message()));
  }
  absl::StatusOr<std::shared_ptr<RestClient>> client = RestClient::Create(std::move(config), *options);
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("cannot create the Kubernetes client: ", client.status().message()));
  }
  return client;
}

}  // namespace werf::kube
