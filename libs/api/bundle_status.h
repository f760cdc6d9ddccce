// WerfBundle.status as one typed structure (schema: deploy/kustomize/base/crd-werfbundles.yaml).
// The controller is its only writer; the gateway and tests read it. Both sides use
// this one definition, so a field is added, renamed or re-typed in exactly one place.
//
// FromJson never fails on a malformed field: it records the problem and reads the
// field as absent (a dashboard that shows most of a bundle beats one that hides it;
// a controller that re-derives a field beats one that is stuck). ToJson(FromJson(x))
// equals x for every status the controller wrote, which is what makes "write only
// when changed" work.
#ifndef WERF_OPERATOR_LIBS_API_BUNDLE_STATUS_H_
#define WERF_OPERATOR_LIBS_API_BUNDLE_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace werf::api {

enum class Phase { kUnknown, kSyncing, kSynced, kFailed };
enum class JobKind { kApply, kDriftCheck };
enum class JobResult { kUnknown, kSucceeded, kFailed, kVanished };

absl::string_view PhaseName(Phase phase);  // "" for kUnknown
absl::string_view JobKindName(JobKind kind);  // "Apply", "DriftCheck"
absl::string_view JobResultName(JobResult result);  // "" for kUnknown

// metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  int64_t observed_generation = 0;
  absl::Time last_transition_time = absl::UnixEpoch();

  bool operator==(const Condition&) const = default;
};

// The Job the controller asked for and whose result it has not merged yet.
struct ActiveJob {
  std::string name;
  std::string ns;
  std::string tag;
  std::string digest;
  std::string config_hash;
  JobKind kind = JobKind::kApply;
  // status.jobSequence when it was requested: part of the Job's name.
  int64_t sequence = 0;
  absl::Time started_at = absl::UnixEpoch();

  bool operator==(const ActiveJob&) const = default;
};

// One finished apply, newest first in BundleStatus::history: the deploy's outcome as data, for
// `kubectl describe`, the gateway, dashboards and notifications.
struct HistoryEntry {
  std::string tag;
  std::string digest;
  std::string job_name;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;  // always set by the controller
  JobResult result = JobResult::kUnknown;
  std::string message;
  // The apply re-deployed a drifted release (drift detection), rather than a new tag or spec.
  bool drift_correction = false;
  // From werf's deploy report when it wrote one (werf writes none when it fails before the
  // plan runs: pull, auth, render, lock): the release revision, the report's status
  // ("deployed", "failed", "skipped") and its operation counts.
  int64_t revision = 0;
  std::string report_status;
  uint32_t completed_operations = 0;
  uint32_t canceled_operations = 0;
  uint32_t failed_operations = 0;
  // The failed operations' names, at most kFailedOperationNamesLimit.
  std::vector<std::string> failed_operation_names;
  // Failures only: the end of the Job's log (at most kHistoryLogTailLimit bytes), redacted by
  // the converger before it left it.
  std::string log_tail;

  bool operator==(const HistoryEntry&) const = default;
};

// What one notification sink (spec.notifications[]) has been sent. Written by the controller's
// notifier after each delivery, so a restarted or failed-over controller knows what it already
// sent: the dedup record is durable, not in memory.
struct NotificationRecord {
  std::string sink{};  // the sink's name
  // Ids of the outcomes delivered (or skipped with a reason), newest first, at most
  // kNotificationDeliveredLimit (outcomes come from history, which is bounded alike).
  std::vector<std::string> delivered{};
  std::optional<absl::Time> last_attempt_time{};
  // "HTTP 200", "skipped: <why>", or the last failure (HTTP status and the receiver's answer,
  // secrets redacted).
  std::string last_result{};
  // Failed attempts in a row; reset by a delivery.
  int consecutive_failures = 0;
  // Outcomes that left the history before they could be delivered (a receiver down for long).
  int64_t dropped = 0;

  bool operator==(const NotificationRecord&) const = default;
};

struct BundleStatus {
  Phase phase = Phase::kUnknown;
  int64_t observed_generation = 0;
  std::string latest_tag;
  std::string latest_digest;
  std::string last_applied_tag;
  std::string last_applied_digest;
  std::string last_applied_config_hash;
  std::optional<absl::Time> last_sync_time;
  // When a registry webhook last named the repository (polling is the safety net).
  std::optional<absl::Time> last_webhook_time;
  std::string last_error_message;
  // Failed applies in a row; reset by a success.
  int consecutive_failures = 0;
  // Earliest time of the next apply after a failure or a refusal. A time, not a
  // countdown: a status that changes every second would be written every second.
  std::optional<absl::Time> next_retry_time;
  std::string last_handled_reconcile_at;
  std::optional<absl::Time> last_drift_check_time;
  // Corrections since the last clean drift check; bounded by maxRetries.
  int drift_corrections = 0;
  // A drift check found drift and a correcting apply is owed.
  bool drift_correction_pending = false;
  // How many Jobs this bundle has asked for, ever. Every decision to run a Job takes
  // the next number and records it here (in ActiveJob) before the Job is requested,
  // so every decision has a Job name of its own.
  int64_t job_sequence = 0;
  std::optional<ActiveJob> active_job;
  std::vector<HistoryEntry> history;
  std::vector<NotificationRecord> notifications;
  std::vector<Condition> conditions;

  bool operator==(const BundleStatus&) const = default;

  const Condition* FindCondition(absl::string_view type) const;
  // "" when absent.
  std::string ConditionStatus(absl::string_view type) const;
  // Sets (or adds) a condition; lastTransitionTime moves only when its status
  // changes, as apimachinery's meta.SetStatusCondition does.
  void SetCondition(Condition condition, absl::Time now);
  void RemoveCondition(absl::string_view type);
};

// Most entries kept in history (the CRD's maxItems).
inline constexpr size_t kHistoryLimit = 10;
inline constexpr size_t kFailedOperationNamesLimit = 10;
inline constexpr size_t kHistoryLogTailLimit = 2048;
inline constexpr size_t kNotificationDeliveredLimit = 16;

// Reads status JSON (the object under .status). `problems` (may be null) receives
// one "status.<path>: what is wrong" line per unreadable field.
BundleStatus BundleStatusFromJson(const nlohmann::json& status,
                                  std::vector<std::string>* problems = nullptr);
nlohmann::json BundleStatusToJson(const BundleStatus& status);

}  // namespace werf::api

#endif  // WERF_OPERATOR_LIBS_API_BUNDLE_STATUS_H_
