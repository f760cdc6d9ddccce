#include "services/converger/job_observation.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/utf8.h"
#include "libs/hub/job_labels.h"
#include "services/converger/job_builder.h"

namespace werf::converger {
namespace {

using nlohmann::json;

// A string at a path of nested objects, or "" when any step is missing.
std::string StringAt(const json& object, std::initializer_list<const char*> path) {
  const json* node = &object;
  for (const char* step : path) {
    if (!node->is_object()) return "";
    auto it = node->find(step);
    if (it == node->end()) return "";
    node = &*it;
  }
  return node->is_string() ? node->get<std::string>() : "";
}

// The Job's condition of `type` with status True, or null.
const json* TrueCondition(const json& job, absl::string_view type) {
  const auto status = job.find("status");
  if (status == job.end() || !status->is_object()) return nullptr;
  const auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return nullptr;
  for (const json& condition : *conditions) {
    if (condition.is_object() && condition.value("type", "") == type &&
        condition.value("status", "") == "True") {
      return &condition;
    }
  }
  return nullptr;
}

void SetTime(absl::string_view text, google::protobuf::Timestamp* field) {
  if (std::optional<absl::Time> time = ParseKubeTime(text)) *field = ToTimestamp(*time);
}

// The werf container's status in a Pod: by name, else the first.
const json* WerfStatus(const json& pod) {
  const auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return nullptr;
  const auto statuses = status->find("containerStatuses");
  if (statuses == status->end() || !statuses->is_array() || statuses->empty()) return nullptr;
  for (const json& container : *statuses) {
    if (container.value("name", "") == kWerfContainer) return &container;
  }
  return &statuses->front();
}

}  // namespace

std::optional<absl::Time> ParseKubeTime(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return std::nullopt;
  return time;
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const absl::Duration since_epoch = time - absl::UnixEpoch();
  const int64_t seconds = absl::ToInt64Seconds(absl::Floor(since_epoch, absl::Seconds(1)));
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(seconds))));
  return timestamp;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

nlohmann::json JobForMonitor(nlohmann::json job) {
  if (!job.is_object()) return job;
  nlohmann::json kept = nlohmann::json::object();
  if (const auto metadata = job.find("metadata"); metadata != job.end() && metadata->is_object()) {
    nlohmann::json& out = kept["metadata"] = nlohmann::json::object();
    for (const char* field : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp",
                              "deletionTimestamp", "labels", "annotations"}) {
      if (auto it = metadata->find(field); it != metadata->end()) out[field] = std::move(*it);
    }
  }
  if (auto status = job.find("status"); status != job.end()) kept["status"] = std::move(*status);
  if (const auto spec = job.find("spec"); spec != job.end() && spec->is_object()) {
    if (const auto tmpl = spec->find("template"); tmpl != spec->end() && tmpl->is_object()) {
      if (const auto pod = tmpl->find("spec"); pod != tmpl->end() && pod->is_object()) {
        if (auto volumes = pod->find("volumes"); volumes != pod->end()) {
          kept["spec"]["template"]["spec"]["volumes"] = std::move(*volumes);
        }
      }
    }
  }
  return kept;
}

JobState StateOfJob(const json& job) {
  if (TrueCondition(job, "Complete") != nullptr) return JobState::kSucceeded;
  if (TrueCondition(job, "Failed") != nullptr) return JobState::kFailed;
  if (!StringAt(job, {"status", "startTime"}).empty()) return JobState::kRunning;
  return JobState::kPending;
}

pb::JobObservation BaseObservation(const json& job) {
  pb::JobObservation observation;
  observation.set_job_name(StringAt(job, {"metadata", "name"}));
  observation.set_job_namespace(StringAt(job, {"metadata", "namespace"}));
  // The annotation is exact; labels may have been shortened to fit a label value.
  const std::string bundle = StringAt(job, {"metadata", "annotations", hub::kAnnotationBundle.data()});
  if (const size_t slash = bundle.find('/'); slash != std::string::npos) {
    observation.mutable_bundle()->set_namespace_(bundle.substr(0, slash));
    observation.mutable_bundle()->set_name(bundle.substr(slash + 1));
  } else {
    observation.mutable_bundle()->set_namespace_(
        StringAt(job, {"metadata", "labels", hub::kLabelBundleNamespace.data()}));
    observation.mutable_bundle()->set_name(StringAt(job, {"metadata", "labels", hub::kLabelBundle.data()}));
  }
  observation.mutable_bundle()->set_uid(StringAt(job, {"metadata", "labels", hub::kLabelBundleUid.data()}));
  observation.set_kind(
      hub::JobKindFromLabel(StringAt(job, {"metadata", "labels", hub::kLabelJobKind.data()}))
          .value_or(pb::JOB_KIND_UNSPECIFIED));
  observation.set_tag(StringAt(job, {"metadata", "annotations", hub::kAnnotationTag.data()}));
  observation.set_digest(StringAt(job, {"metadata", "annotations", hub::kAnnotationDigest.data()}));
  observation.set_config_hash(StringAt(job, {"metadata", "annotations", hub::kAnnotationConfigHash.data()}));
  SetTime(StringAt(job, {"status", "startTime"}), observation.mutable_started_at());
  observation.set_phase(pb::JOB_PHASE_RUNNING);
  return observation;
}

std::optional<PodOutcome> WerfContainerOutcome(const std::vector<json>& pods) {
  std::optional<PodOutcome> best;
  std::string best_key;  // finishedAt, else creationTimestamp: RFC 3339 in UTC sorts as text
  for (const json& pod : pods) {
    PodOutcome outcome{.pod_name = StringAt(pod, {"metadata", "name"}),
                       .exit_code = std::nullopt,
                       .termination_message = ""};
    std::string key = StringAt(pod, {"metadata", "creationTimestamp"});
    if (const json* status = WerfStatus(pod); status != nullptr) {
      const auto state = status->find("state");
      if (state != status->end() && state->is_object() && state->contains("terminated")) {
        const json& terminated = state->at("terminated");
        if (terminated.contains("exitCode") && terminated["exitCode"].is_number_integer()) {
          outcome.exit_code = terminated["exitCode"].get<int>();
        }
        outcome.termination_message = terminated.value("message", "");
        // Terminated containers sort after running ones of the same age.
        key = absl::StrCat(terminated.value("finishedAt", key), "~");
      }
    }
    if (!best || key > best_key) {
      best = std::move(outcome);
      best_key = std::move(key);
    }
  }
  return best;
}

namespace {

// A non-negative integer field, or `fallback`.
int32_t CountAt(const json& report, const std::string& field, int32_t fallback) {
  const auto it = report.find(field);
  if (it == report.end() || !it->is_number_integer()) return fallback;
  const int64_t value = it->get<int64_t>();
  return value < 0 ? fallback : static_cast<int32_t>(std::min<int64_t>(value, INT32_MAX));
}

// "<list>Count" from the compact report, else the size of nelm's complete list.
int32_t Operations(const json& report, const std::string& list) {
  const auto it = report.find(list);
  const int32_t listed = it != report.end() && it->is_array() ? static_cast<int32_t>(it->size()) : 0;
  return CountAt(report, list + "Count", listed);
}

}  // namespace

std::optional<pb::DeployReport> ParseDeployReport(absl::string_view message) {
  const json report = json::parse(message.begin(), message.end(), nullptr, /*allow_exceptions=*/false);
  if (!report.is_object()) return std::nullopt;
  const auto text = [&report](const char* field) {
    const auto it = report.find(field);
    return it != report.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  pb::DeployReport parsed;
  parsed.set_status(text("status"));
  parsed.set_release(text("release"));
  parsed.set_namespace_(text("namespace"));
  parsed.set_revision(CountAt(report, "revision", 0));
  parsed.set_completed_operations(Operations(report, "completedOperations"));
  parsed.set_canceled_operations(Operations(report, "canceledOperations"));
  parsed.set_failed_operations(Operations(report, "failedOperations"));
  if (const auto failed = report.find("failedOperations"); failed != report.end() && failed->is_array()) {
    for (const json& name : *failed) {
      if (name.is_string()) parsed.add_failed_operation_names(name.get<std::string>());
    }
  }
  const auto truncated = report.find("truncated");
  parsed.set_truncated(truncated != report.end() && truncated->is_boolean() && truncated->get<bool>());
  parsed.set_raw_json(std::string(message.substr(0, kDeployReportBytes)));
  return parsed;
}

std::string TailOfLog(absl::string_view log, int max_lines, size_t max_bytes) {
  if (!log.empty() && log.back() == '\n') log.remove_suffix(1);
  if (max_lines <= 0) return "";
  // Walk back from the end over `max_lines` line breaks.
  size_t start = log.size();
  int lines = 0;
  while (start > 0) {
    const size_t newline = log.rfind('\n', start - 1);
    if (newline == absl::string_view::npos) {
      start = 0;
      break;
    }
    if (++lines == max_lines) {
      start = newline + 1;
      break;
    }
    start = newline;
  }
  absl::string_view tail = log.substr(start);
  if (tail.size() > max_bytes) {
    const absl::string_view whole = tail;
    tail = tail.substr(tail.size() - max_bytes);
    const size_t newline = tail.find('\n');
    if (newline != absl::string_view::npos && newline + 1 < tail.size()) {
      tail = tail.substr(newline + 1);
    } else {
      // One long line: at least do not start inside a UTF-8 sequence.
      tail = common::Utf8Suffix(whole, max_bytes);
    }
  }
  return std::string(tail);
}

pb::JobObservation FinishedObservation(const json& job, const std::optional<PodOutcome>& outcome,
                                       const LogTail& log) {
  pb::JobObservation observation = BaseObservation(job);
  const bool job_succeeded = StateOfJob(job) == JobState::kSucceeded;
  const json* condition = TrueCondition(job, job_succeeded ? "Complete" : "Failed");
  if (condition != nullptr) SetTime(condition->value("lastTransitionTime", ""), observation.mutable_finished_at());
  if (!observation.has_finished_at()) {
    SetTime(StringAt(job, {"status", "completionTime"}), observation.mutable_finished_at());
  }

  std::optional<int> exit_code = outcome ? outcome->exit_code : std::nullopt;
  if (!exit_code && job_succeeded) exit_code = 0;
  if (exit_code) observation.set_exit_code(*exit_code);
  // A termination message that is no report is the kubelet's tail of the log.
  std::string kubelet_log_tail;
  if (outcome && !outcome->termination_message.empty()) {
    if (std::optional<pb::DeployReport> report = ParseDeployReport(outcome->termination_message)) {
      *observation.mutable_deploy_report() = *std::move(report);
    } else {
      kubelet_log_tail = TailOfLog(outcome->termination_message);
    }
  }

  std::vector<std::string> message;
  bool explain_condition = true;
  if (observation.kind() == pb::JOB_KIND_DRIFT_CHECK) {
    // `werf bundle plan --exit-code` exits 2 on drift, which fails the pod and so the
    // Job; that is a successful check, not a failure.
    if (exit_code == 0) {
      observation.set_phase(pb::JOB_PHASE_SUCCEEDED);
      observation.set_drift(pb::DRIFT_RESULT_IN_SYNC);
      explain_condition = false;
    } else if (exit_code == 2) {
      observation.set_phase(pb::JOB_PHASE_SUCCEEDED);
      observation.set_drift(pb::DRIFT_RESULT_DRIFTED);
      message.push_back("the cluster differs from the bundle (werf bundle plan exited 2)");
      explain_condition = false;
    } else if (exit_code == 3) {
      observation.set_phase(pb::JOB_PHASE_SUCCEEDED);
      observation.set_drift(pb::DRIFT_RESULT_DRIFTED);
      message.push_back(
          "no resource differs, but the release must be installed again (werf bundle plan exited 3)");
      explain_condition = false;
    } else {
      observation.set_phase(pb::JOB_PHASE_FAILED);
      observation.set_drift(pb::DRIFT_RESULT_ERROR);
    }
  } else {
    observation.set_phase(job_succeeded ? pb::JOB_PHASE_SUCCEEDED : pb::JOB_PHASE_FAILED);
  }
  if (observation.phase() == pb::JOB_PHASE_FAILED) {
    if (exit_code && *exit_code != 0) {
      message.push_back(absl::StrCat("werf exited with code ", *exit_code));
    } else if (!exit_code) {
      message.push_back("the werf container never terminated (no pod, or the pod was deleted)");
    }
  }
  if (explain_condition && condition != nullptr) {
    const std::string reason = condition->value("reason", "");
    const std::string text = condition->value("message", "");
    if (!reason.empty() || !text.empty()) {
      message.push_back(reason.empty() ? text : text.empty() ? reason : absl::StrCat(reason, ": ", text));
    }
  }
  if (!log.text.empty() || kubelet_log_tail.empty()) {
    observation.set_log_tail(log.text);
    if (!log.unavailable_reason.empty()) message.push_back(absl::StrCat("logs unavailable: ", log.unavailable_reason));
  } else {
    observation.set_log_tail(kubelet_log_tail);
    if (!log.unavailable_reason.empty()) {
      message.push_back(absl::StrCat("logs unavailable (", log.unavailable_reason,
                                     "); the log tail is the kubelet's termination message"));
    }
  }
  observation.set_message(absl::StrJoin(message, "; "));
  return observation;
}

}  // namespace werf::converger
