// The poller's own flags (the common ones are in libs/common/flags.h and
// worker_flags.h, the Kubernetes client's in libs/kube/client_flags.h), read once and
// validated. Each may also be set as WERF_<FLAG_NAME>, e.g. WERF_REGISTRY_QPS=50.
//
// Defined in their own library (werf_poller_flags): absl flags are process-wide, and the
// poller benchmark, which links werf_poller_lib, defines some of the same names.
#ifndef WERF_OPERATOR_SERVICES_POLLER_POLLER_FLAGS_H_
#define WERF_OPERATOR_SERVICES_POLLER_POLLER_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(int, max_concurrent_polls);
ABSL_DECLARE_FLAG(double, registry_qps);
ABSL_DECLARE_FLAG(int, registry_burst);
ABSL_DECLARE_FLAG(absl::Duration, registry_timeout);
ABSL_DECLARE_FLAG(absl::Duration, failure_backoff);
ABSL_DECLARE_FLAG(absl::Duration, failure_backoff_max);
ABSL_DECLARE_FLAG(int, max_tags);
ABSL_DECLARE_FLAG(std::string, webhook_address);
ABSL_DECLARE_FLAG(std::string, webhook_secret);
ABSL_DECLARE_FLAG(int64_t, webhook_max_body_bytes);
ABSL_DECLARE_FLAG(double, webhook_qps);
ABSL_DECLARE_FLAG(int, webhook_burst);

namespace werf::poller {

struct PollerFlags {
  int max_concurrent_polls = 10;
  double registry_qps = 20;
  int registry_burst = 40;
  absl::Duration registry_timeout = absl::Seconds(30);
  absl::Duration failure_backoff = absl::Seconds(30);
  absl::Duration failure_backoff_max = absl::Minutes(8);
  int max_tags = 100000;
  std::string webhook_address{};  // empty: no receiver
  // --webhook_secret, split at its first '/'.
  std::string webhook_secret_namespace{"werf-operator-system"};
  std::string webhook_secret_name{"werf-operator-webhooks"};
  int64_t webhook_max_body_bytes = 1 << 20;
  double webhook_qps = 50;
  int webhook_burst = 500;
};

// InvalidArgument naming the flag when a value is malformed.
absl::StatusOr<PollerFlags> ReadPollerFlags();

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_POLLER_FLAGS_H_
