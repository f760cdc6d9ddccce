#include "services/controller/controller_flags.h"

#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(bool, leader_elect, true, "elect a leader through a Lease; only the leader acts");
ABSL_FLAG(std::string, leader_election_namespace, "",
          "namespace of the Lease (default: the in-cluster namespace, else werf-operator-system)");
ABSL_FLAG(std::string, leader_election_id, "werf-controller", "name of the Lease");
ABSL_FLAG(absl::Duration, lease_duration, absl::Seconds(15), "Lease duration");
ABSL_FLAG(absl::Duration, renew_deadline, absl::Seconds(10), "leader steps down when it could not renew for this long");
ABSL_FLAG(absl::Duration, retry_period, absl::Seconds(2), "how often candidates try and the leader renews");
ABSL_FLAG(std::string, watch_namespace, "", "only reconcile WerfBundles in this namespace (default: all)");
ABSL_FLAG(int, workers, 2, "bundles reconciled in parallel");
ABSL_FLAG(absl::Duration, failure_backoff_base, absl::Seconds(30),
          "retry delay after the first failed converge; doubles per failure");
ABSL_FLAG(absl::Duration, failure_backoff_max, absl::Minutes(10), "cap of the retry delay");
ABSL_FLAG(absl::Duration, recheck_interval, absl::Seconds(15),
          "how often a bundle stalled on a missing object is looked at again");
ABSL_FLAG(absl::Duration, min_poll_interval, absl::Minutes(1), "smallest spec.registry.pollInterval accepted");
ABSL_FLAG(absl::Duration, min_drift_interval, absl::Minutes(1),
          "smallest spec.converge.driftDetection.interval accepted");
ABSL_FLAG(absl::Duration, hub_heartbeat_interval, absl::Seconds(5),
          "heartbeat interval on worker streams; three silent intervals close a stream");
ABSL_FLAG(absl::Duration, notification_retry_base, absl::Seconds(5),
          "delay before retrying a failed notification; doubles per failure in a row (half of it jittered)");
ABSL_FLAG(absl::Duration, notification_retry_max, absl::Minutes(5), "cap of the notification retry delay");
ABSL_FLAG(absl::Duration, notification_timeout, absl::Seconds(10),
          "time one notification request may take, connecting included");

namespace werf::controller {

absl::StatusOr<ControllerFlags> ReadControllerFlags() {
  ControllerFlags flags{
      .leader_elect = absl::GetFlag(FLAGS_leader_elect),
      .leader_election_namespace = absl::GetFlag(FLAGS_leader_election_namespace),
      .leader_election_id = absl::GetFlag(FLAGS_leader_election_id),
      .lease_duration = absl::GetFlag(FLAGS_lease_duration),
      .renew_deadline = absl::GetFlag(FLAGS_renew_deadline),
      .retry_period = absl::GetFlag(FLAGS_retry_period),
      .watch_namespace = absl::GetFlag(FLAGS_watch_namespace),
      .workers = absl::GetFlag(FLAGS_workers),
      .failure_backoff_base = absl::GetFlag(FLAGS_failure_backoff_base),
      .failure_backoff_max = absl::GetFlag(FLAGS_failure_backoff_max),
      .recheck_interval = absl::GetFlag(FLAGS_recheck_interval),
      .min_poll_interval = absl::GetFlag(FLAGS_min_poll_interval),
      .min_drift_interval = absl::GetFlag(FLAGS_min_drift_interval),
      .hub_heartbeat_interval = absl::GetFlag(FLAGS_hub_heartbeat_interval),
      .notification_retry_base = absl::GetFlag(FLAGS_notification_retry_base),
      .notification_retry_max = absl::GetFlag(FLAGS_notification_retry_max),
      .notification_timeout = absl::GetFlag(FLAGS_notification_timeout),
  };
  if (flags.workers < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--workers must be at least 1, got ", flags.workers));
  }
  const std::vector<std::pair<const char*, absl::Duration>> positive = {
      {"lease_duration", flags.lease_duration},
      {"renew_deadline", flags.renew_deadline},
      {"retry_period", flags.retry_period},
      {"failure_backoff_base", flags.failure_backoff_base},
      {"recheck_interval", flags.recheck_interval},
      {"min_poll_interval", flags.min_poll_interval},
      {"min_drift_interval", flags.min_drift_interval},
      {"hub_heartbeat_interval", flags.hub_heartbeat_interval},
      {"notification_retry_base", flags.notification_retry_base},
      {"notification_timeout", flags.notification_timeout},
  };
  for (const auto& [name, value] : positive) {
    if (value <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " must be positive, got ", absl::FormatDuration(value)));
    }
  }
  if (flags.failure_backoff_max < flags.failure_backoff_base) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--failure_backoff_max (", absl::FormatDuration(flags.failure_backoff_max),
        ") must not be below --failure_backoff_base (", absl::FormatDuration(flags.failure_backoff_base), ")"));
  }
  if (flags.notification_retry_max < flags.notification_retry_base) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--notification_retry_max (", absl::FormatDuration(flags.notification_retry_max),
        ") must not be below --notification_retry_base (",
        absl::FormatDuration(flags.notification_retry_base), ")"));
  }
  if (flags.leader_elect) {
    if (flags.renew_deadline >= flags.lease_duration) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--renew_deadline (", absl::FormatDuration(flags.renew_deadline),
          ") must be shorter than --lease_duration (", absl::FormatDuration(flags.lease_duration), ")"));
    }
    if (flags.retry_period >= flags.renew_deadline) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--retry_period (", absl::FormatDuration(flags.retry_period),
          ") must be shorter than --renew_deadline (", absl::FormatDuration(flags.renew_deadline), ")"));
    }
    if (flags.leader_election_id.empty()) {
      return absl::InvalidArgumentError("--leader_election_id must not be empty with --leader_elect");
    }
  }
  return flags;
}

}  // namespace werf::controller
