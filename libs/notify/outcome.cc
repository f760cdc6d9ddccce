#include "libs/notify/outcome.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/api/json_fields.h"

namespace werf::notify {
namespace {

bool Succeeded(const api::HistoryEntry& entry) { return entry.result == api::JobResult::kSucceeded; }

Outcome FromHistory(const api::HistoryEntry& entry, const api::HistoryEntry* previous) {
  Outcome outcome{.id = entry.job_name,
                  .tag = entry.tag,
                  .digest = entry.digest,
                  .job_name = entry.job_name,
                  .message = entry.message,
                  .time = entry.finished_at.value_or(absl::UnixEpoch()),
                  .revision = entry.revision,
                  .report_status = entry.report_status,
                  .completed_operations = entry.completed_operations,
                  .failed_operations = entry.failed_operations,
                  .failed_operation_names = entry.failed_operation_names,
                  .log_tail = entry.log_tail};
  if (!Succeeded(entry)) {
    // A retry of a tag that failed just before is no news (its message differs in Job
    // and pod names and log lines): one Failed per failure streak and tag, then Recovered.
    const bool repeat = previous != nullptr && !Succeeded(*previous) && previous->tag == entry.tag;
    if (!repeat) outcome.kinds = {OutcomeKind::kFailed};
  } else if (entry.drift_correction) {
    outcome.kinds = {OutcomeKind::kDriftCorrected, OutcomeKind::kDeployed};
  } else if (previous != nullptr && !Succeeded(*previous)) {
    outcome.kinds = {OutcomeKind::kRecovered, OutcomeKind::kDeployed};
  } else {
    outcome.kinds = {OutcomeKind::kDeployed};
  }
  return outcome;
}

// A condition that is True now, as an outcome identified by its transition.
std::optional<Outcome> FromCondition(const api::BundleStatus& status, absl::string_view type, OutcomeKind kind) {
  const api::Condition* condition = status.FindCondition(type);
  if (condition == nullptr || condition->status != "True") return std::nullopt;
  return Outcome{.id = absl::StrCat(type, "@", api::Rfc3339(condition->last_transition_time)),
                 .kinds = {kind},
                 .tag = status.last_applied_tag,
                 .digest = status.last_applied_digest,
                 .message = absl::StrCat(condition->reason, ": ", condition->message),
                 .time = condition->last_transition_time};
}

}  // namespace

std::optional<OutcomeKind> Outcome::KindFor(const SinkSpec& sink) const {
  for (OutcomeKind kind : kinds) {
    if (sink.Wants(kind)) return kind;
  }
  return std::nullopt;
}

std::vector<Outcome> OutcomesOf(const api::BundleStatus& status) {
  std::vector<Outcome> outcomes;
  for (size_t i = 0; i < status.history.size(); ++i) {
    if (status.history[i].job_name.empty()) continue;
    const api::HistoryEntry* previous = i + 1 < status.history.size() ? &status.history[i + 1] : nullptr;
    outcomes.push_back(FromHistory(status.history[i], previous));
  }
  if (std::optional<Outcome> drifted = FromCondition(status, "Drifted", OutcomeKind::kDrifted)) {
    outcomes.push_back(*std::move(drifted));
  }
  if (std::optional<Outcome> stalled = FromCondition(status, "Stalled", OutcomeKind::kStalled)) {
    outcomes.push_back(*std::move(stalled));
  }
  std::stable_sort(outcomes.begin(), outcomes.end(),
                   [](const Outcome& a, const Outcome& b) { return a.time > b.time; });
  return outcomes;
}

}  // namespace werf::notify
