// The controller's own flags (the common ones are in libs/common/flags.h and
// libs/kube/client_flags.h), read once and validated. Each may also be set as
// WERF_<FLAG_NAME>, e.g. WERF_WORKERS=4.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_FLAGS_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(bool, leader_elect);
ABSL_DECLARE_FLAG(std::string, leader_election_namespace);
ABSL_DECLARE_FLAG(std::string, leader_election_id);
ABSL_DECLARE_FLAG(absl::Duration, lease_duration);
ABSL_DECLARE_FLAG(absl::Duration, renew_deadline);
ABSL_DECLARE_FLAG(absl::Duration, retry_period);
ABSL_DECLARE_FLAG(std::string, watch_namespace);
ABSL_DECLARE_FLAG(int, workers);
ABSL_DECLARE_FLAG(absl::Duration, failure_backoff_base);
ABSL_DECLARE_FLAG(absl::Duration, failure_backoff_max);
ABSL_DECLARE_FLAG(absl::Duration, recheck_interval);
ABSL_DECLARE_FLAG(absl::Duration, min_poll_interval);
ABSL_DECLARE_FLAG(absl::Duration, min_drift_interval);
ABSL_DECLARE_FLAG(absl::Duration, hub_heartbeat_interval);
ABSL_DECLARE_FLAG(absl::Duration, notification_retry_base);
ABSL_DECLARE_FLAG(absl::Duration, notification_retry_max);
ABSL_DECLARE_FLAG(absl::Duration, notification_timeout);

namespace werf::controller {

struct ControllerFlags {
  bool leader_elect = true;
  std::string leader_election_namespace{};  // empty: the namespace the controller runs in
  std::string leader_election_id = "werf-controller";
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  std::string watch_namespace{};
  int workers = 2;
  absl::Duration failure_backoff_base = absl::Seconds(30);
  absl::Duration failure_backoff_max = absl::Minutes(10);
  absl::Duration recheck_interval = absl::Seconds(15);
  absl::Duration min_poll_interval = absl::Minutes(1);
  absl::Duration min_drift_interval = absl::Minutes(1);
  absl::Duration hub_heartbeat_interval = absl::Seconds(5);
  absl::Duration notification_retry_base = absl::Seconds(5);
  absl::Duration notification_retry_max = absl::Minutes(5);
  absl::Duration notification_timeout = absl::Seconds(10);
};

// InvalidArgument naming the flag when a value cannot work (a non-positive
// interval, a backoff cap below its base, a renew deadline not shorter than the
// lease, as client-go's leader election requires).
absl::StatusOr<ControllerFlags> ReadControllerFlags();

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_FLAGS_H_
