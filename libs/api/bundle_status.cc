#include "libs/api/bundle_status.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/api/json_fields.h"

namespace werf::api {
namespace {

using Json = nlohmann::json;

Phase ParsePhase(const FieldReader& in) {
  const std::string text = in.String("phase");
  if (text.empty()) return Phase::kUnknown;
  for (Phase phase : {Phase::kSyncing, Phase::kSynced, Phase::kFailed}) {
    if (text == PhaseName(phase)) return phase;
  }
  in.Problem("phase", absl::StrCat("\"", text, "\" is not Syncing, Synced or Failed"));
  return Phase::kUnknown;
}

JobResult ParseResult(const FieldReader& in) {
  const std::string text = in.String("result");
  if (text.empty()) return JobResult::kUnknown;
  for (JobResult result : {JobResult::kSucceeded, JobResult::kFailed, JobResult::kVanished}) {
    if (text == JobResultName(result)) return result;
  }
  in.Problem("result", absl::StrCat("\"", text, "\" is not Succeeded, Failed or Vanished"));
  return JobResult::kUnknown;
}

Condition ParseCondition(const FieldReader& in) {
  return Condition{.type = in.String("type"),
                   .status = in.String("status"),
                   .reason = in.String("reason"),
                   .message = in.String("message"),
                   .observed_generation = in.Int("observedGeneration"),
                   .last_transition_time = in.Time("lastTransitionTime").value_or(absl::UnixEpoch())};
}

ActiveJob ParseActiveJob(const FieldReader& in) {
  return ActiveJob{.name = in.String("name"),
                   .ns = in.String("namespace"),
                   .tag = in.String("tag"),
                   .digest = in.String("digest"),
                   .config_hash = in.String("configHash"),
                   .kind = in.String("kind") == "DriftCheck" ? JobKind::kDriftCheck : JobKind::kApply,
                   .sequence = in.Int("sequence"),
                   .started_at = in.Time("startedAt").value_or(absl::UnixEpoch())};
}

HistoryEntry ParseHistoryEntry(const FieldReader& in) {
  return HistoryEntry{.tag = in.String("tag"),
                      .digest = in.String("digest"),
                      .job_name = in.String("jobName"),
                      .started_at = in.Time("startedAt"),
                      .finished_at = in.Time("finishedAt"),
                      .result = ParseResult(in),
                      .message = in.String("message"),
                      .drift_correction = in.Bool("driftCorrection"),
                      .revision = in.Int("revision"),
                      .report_status = in.String("reportStatus"),
                      .completed_operations = in.Count("completedOperations"),
                      .canceled_operations = in.Count("canceledOperations"),
                      .failed_operations = in.Count("failedOperations"),
                      .failed_operation_names = in.Strings("failedOperationNames"),
                      .log_tail = in.String("logTail")};
}

NotificationRecord ParseNotificationRecord(const FieldReader& in) {
  return NotificationRecord{.sink = in.String("sink"),
                            .delivered = in.Strings("delivered"),
                            .last_attempt_time = in.Time("lastAttemptTime"),
                            .last_result = in.String("lastResult"),
                            .consecutive_failures = static_cast<int>(in.Count("consecutiveFailures")),
                            .dropped = in.Count("dropped")};
}

// Optional members are written only when set, so an absent field stays absent.
void PutString(Json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}
void PutTime(Json& out, const char* key, const std::optional<absl::Time>& value) {
  if (value.has_value()) out[key] = Rfc3339(*value);
}
void PutCount(Json& out, const char* key, int64_t value) {
  if (value != 0) out[key] = value;
}

}  // namespace

absl::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kSyncing: return "Syncing";
    case Phase::kSynced: return "Synced";
    case Phase::kFailed: return "Failed";
    case Phase::kUnknown: break;
  }
  return "";
}

absl::string_view JobKindName(JobKind kind) {
  return kind == JobKind::kDriftCheck ? "DriftCheck" : "Apply";
}

absl::string_view JobResultName(JobResult result) {
  switch (result) {
    case JobResult::kSucceeded: return "Succeeded";
    case JobResult::kFailed: return "Failed";
    case JobResult::kVanished: return "Vanished";
    case JobResult::kUnknown: break;
  }
  return "";
}

const Condition* BundleStatus::FindCondition(absl::string_view type) const {
  for (const Condition& condition : conditions) {
    if (condition.type == type) return &condition;
  }
  return nullptr;
}

std::string BundleStatus::ConditionStatus(absl::string_view type) const {
  const Condition* condition = FindCondition(type);
  return condition == nullptr ? "" : condition->status;
}

void BundleStatus::SetCondition(Condition condition, absl::Time now) {
  for (Condition& existing : conditions) {
    if (existing.type != condition.type) continue;
    condition.last_transition_time =
        existing.status == condition.status ? existing.last_transition_time : now;
    existing = std::move(condition);
    return;
  }
  condition.last_transition_time = now;
  conditions.push_back(std::move(condition));
}

void BundleStatus::RemoveCondition(absl::string_view type) {
  std::erase_if(conditions, [&](const Condition& c) { return c.type == type; });
}

BundleStatus BundleStatusFromJson(const Json& status, std::vector<std::string>* problems) {
  std::vector<std::string> ignored;
  const FieldReader in(&status, "status", problems != nullptr ? problems : &ignored);
  BundleStatus out;
  out.phase = ParsePhase(in);
  out.observed_generation = in.Int("observedGeneration");
  out.latest_tag = in.String("latestTag");
  out.latest_digest = in.String("latestDigest");
  out.last_applied_tag = in.String("lastAppliedTag");
  out.last_applied_digest = in.String("lastAppliedDigest");
  out.last_applied_config_hash = in.String("lastAppliedConfigHash");
  out.last_sync_time = in.Time("lastSyncTime");
  out.last_webhook_time = in.Time("lastWebhookTime");
  out.last_error_message = in.String("lastErrorMessage");
  out.consecutive_failures = static_cast<int>(in.Count("consecutiveFailures"));
  out.next_retry_time = in.Time("nextRetryTime");
  out.last_handled_reconcile_at = in.String("lastHandledReconcileAt");
  out.last_drift_check_time = in.Time("lastDriftCheckTime");
  out.drift_corrections = static_cast<int>(in.Count("driftCorrections"));
  out.drift_correction_pending = in.Bool("driftCorrectionPending");
  out.job_sequence = in.Int("jobSequence");
  if (const FieldReader job = in.Object("activeJob"); job.present()) {
    out.active_job = ParseActiveJob(job);
  }
  in.ForEachObject("conditions", [&](const FieldReader& condition) {
    out.conditions.push_back(ParseCondition(condition));
  });
  in.ForEachObject("history", [&](const FieldReader& entry) {
    out.history.push_back(ParseHistoryEntry(entry));
  });
  in.ForEachObject("notifications", [&](const FieldReader& record) {
    out.notifications.push_back(ParseNotificationRecord(record));
  });
  return out;
}

Json BundleStatusToJson(const BundleStatus& status) {
  Json out = Json::object();
  if (status.phase != Phase::kUnknown) out["phase"] = std::string(PhaseName(status.phase));
  out["observedGeneration"] = status.observed_generation;
  PutString(out, "latestTag", status.latest_tag);
  PutString(out, "latestDigest", status.latest_digest);
  PutString(out, "lastAppliedTag", status.last_applied_tag);
  PutString(out, "lastAppliedDigest", status.last_applied_digest);
  PutString(out, "lastAppliedConfigHash", status.last_applied_config_hash);
  PutTime(out, "lastSyncTime", status.last_sync_time);
  PutTime(out, "lastWebhookTime", status.last_webhook_time);
  PutString(out, "lastErrorMessage", status.last_error_message);
  // Always present: "0 failures" is an answer people look for.
  out["consecutiveFailures"] = status.consecutive_failures;
  PutTime(out, "nextRetryTime", status.next_retry_time);
  PutString(out, "lastHandledReconcileAt", status.last_handled_reconcile_at);
  PutTime(out, "lastDriftCheckTime", status.last_drift_check_time);
  PutCount(out, "driftCorrections", status.drift_corrections);
  if (status.drift_correction_pending) out["driftCorrectionPending"] = true;
  PutCount(out, "jobSequence", status.job_sequence);
  if (status.active_job.has_value()) {
    const ActiveJob& job = *status.active_job;
    Json active = {{"name", job.name},
                   {"namespace", job.ns},
                   {"tag", job.tag},
                   {"digest", job.digest},
                   {"kind", std::string(JobKindName(job.kind))},
                   {"sequence", job.sequence},
                   {"startedAt", Rfc3339(job.started_at)}};
    PutString(active, "configHash", job.config_hash);
    out["activeJob"] = std::move(active);
  }
  if (!status.history.empty()) {
    Json history = Json::array();
    for (const HistoryEntry& entry : status.history) {
      Json item = {{"tag", entry.tag}, {"digest", entry.digest}, {"jobName", entry.job_name}};
      PutTime(item, "startedAt", entry.started_at);
      PutTime(item, "finishedAt", entry.finished_at);
      PutString(item, "result", std::string(JobResultName(entry.result)));
      PutString(item, "message", entry.message);
      // Derived, for `kubectl describe`; never read back.
      if (entry.started_at.has_value() && entry.finished_at.has_value()) {
        item["durationSeconds"] =
            std::max<int64_t>(0, absl::ToInt64Seconds(*entry.finished_at - *entry.started_at));
      }
      if (entry.drift_correction) item["driftCorrection"] = true;
      PutCount(item, "revision", entry.revision);
      PutString(item, "reportStatus", entry.report_status);
      PutCount(item, "completedOperations", entry.completed_operations);
      PutCount(item, "canceledOperations", entry.canceled_operations);
      PutCount(item, "failedOperations", entry.failed_operations);
      if (!entry.failed_operation_names.empty()) item["failedOperationNames"] = entry.failed_operation_names;
      PutString(item, "logTail", entry.log_tail);
      history.push_back(std::move(item));
    }
    out["history"] = std::move(history);
  }
  if (!status.notifications.empty()) {
    Json notifications = Json::array();
    for (const NotificationRecord& record : status.notifications) {
      Json item = {{"sink", record.sink}};
      if (!record.delivered.empty()) item["delivered"] = record.delivered;
      PutTime(item, "lastAttemptTime", record.last_attempt_time);
      PutString(item, "lastResult", record.last_result);
      PutCount(item, "consecutiveFailures", record.consecutive_failures);
      PutCount(item, "dropped", record.dropped);
      notifications.push_back(std::move(item));
    }
    out["notifications"] = std::move(notifications);
  }
  if (!status.conditions.empty()) {
    Json conditions = Json::array();
    for (const Condition& condition : status.conditions) {
      conditions.push_back({{"type", condition.type},
                            {"status", condition.status},
                            {"reason", condition.reason},
                            {"message", condition.message},
                            {"observedGeneration", condition.observed_generation},
                            {"lastTransitionTime", Rfc3339(condition.last_transition_time)}});
    }
    out["conditions"] = std::move(conditions);
  }
  return out;
}

}  // namespace werf::api
