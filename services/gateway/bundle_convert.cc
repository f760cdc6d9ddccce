#include "services/gateway/bundle_convert.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "libs/api/bundle_status.h"
#include "libs/api/json_fields.h"

namespace werf::gateway {
namespace {

using ::google::protobuf::util::TimeUtil;
using api::FieldReader;

google::protobuf::Timestamp ToProto(absl::Time time) {
  return TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(time));
}

void ConvertSpec(const FieldReader& spec, pb::Bundle& bundle) {
  pb::BundleSpecSummary& out = *bundle.mutable_spec();
  const FieldReader registry = spec.Object("registry");
  out.set_repository(registry.String("url"));
  out.set_version_constraint(registry.String("versionConstraint"));
  out.set_tag_filter(registry.String("tagFilter"));
  if (auto interval = registry.Duration("pollInterval")) {
    *out.mutable_poll_interval() = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(*interval));
  }

  const FieldReader converge = spec.Object("converge");
  out.set_target_namespace(converge.String("targetNamespace"));
  if (out.target_namespace().empty()) out.set_target_namespace(bundle.namespace_());
  out.set_service_account_name(converge.String("serviceAccountName"));
  out.set_release(converge.String("release"));
  if (out.release().empty()) out.set_release(bundle.name());
  out.set_suspend(spec.Bool("suspend"));
}

pb::BundlePhase ToProto(api::Phase phase) {
  switch (phase) {
    case api::Phase::kSyncing: return pb::BUNDLE_PHASE_SYNCING;
    case api::Phase::kSynced: return pb::BUNDLE_PHASE_SYNCED;
    case api::Phase::kFailed: return pb::BUNDLE_PHASE_FAILED;
    case api::Phase::kUnknown: break;
  }
  return pb::BUNDLE_PHASE_UNSPECIFIED;
}

pb::ConvergeResult ToProto(api::JobResult result) {
  switch (result) {
    case api::JobResult::kSucceeded: return pb::CONVERGE_RESULT_SUCCEEDED;
    case api::JobResult::kFailed: return pb::CONVERGE_RESULT_FAILED;
    case api::JobResult::kVanished: return pb::CONVERGE_RESULT_VANISHED;
    case api::JobResult::kUnknown: break;
  }
  return pb::CONVERGE_RESULT_UNSPECIFIED;
}

void ConvertStatus(const api::BundleStatus& status, pb::Bundle& bundle) {
  bundle.set_phase(ToProto(status.phase));
  bundle.set_observed_generation(status.observed_generation);
  bundle.set_latest_tag(status.latest_tag);
  bundle.set_last_applied_tag(status.last_applied_tag);
  bundle.set_last_applied_digest(status.last_applied_digest);
  if (status.last_sync_time.has_value()) *bundle.mutable_last_sync_time() = ToProto(*status.last_sync_time);
  if (status.last_webhook_time.has_value()) {
    *bundle.mutable_last_webhook_time() = ToProto(*status.last_webhook_time);
  }
  bundle.set_last_error_message(status.last_error_message);
  bundle.set_consecutive_failures(static_cast<uint32_t>(status.consecutive_failures));
  if (status.active_job.has_value()) {
    pb::ActiveJob& out = *bundle.mutable_active_job();
    out.set_name(status.active_job->name);
    out.set_namespace_(status.active_job->ns);
    out.set_tag(status.active_job->tag);
    *out.mutable_started_at() = ToProto(status.active_job->started_at);
  }
  for (const api::Condition& in : status.conditions) {
    pb::Condition& out = *bundle.add_conditions();
    out.set_type(in.type);
    out.set_status(in.status);
    out.set_reason(in.reason);
    out.set_message(in.message);
    *out.mutable_last_transition_time() = ToProto(in.last_transition_time);
    out.set_observed_generation(in.observed_generation);
  }
  for (const api::HistoryEntry& in : status.history) {
    pb::HistoryEntry& out = *bundle.add_history();
    out.set_tag(in.tag);
    out.set_digest(in.digest);
    out.set_job_name(in.job_name);
    if (in.started_at.has_value()) *out.mutable_started_at() = ToProto(*in.started_at);
    if (in.finished_at.has_value()) *out.mutable_finished_at() = ToProto(*in.finished_at);
    out.set_result(ToProto(in.result));
    out.set_message(in.message);
    if (in.started_at.has_value() && in.finished_at.has_value() && *in.finished_at >= *in.started_at) {
      *out.mutable_duration() = google::protobuf::util::TimeUtil::MillisecondsToDuration(
          absl::ToInt64Milliseconds(*in.finished_at - *in.started_at));
    }
    out.set_drift_correction(in.drift_correction);
    out.set_revision(in.revision);
    out.set_report_status(in.report_status);
    out.set_completed_operations(in.completed_operations);
    out.set_canceled_operations(in.canceled_operations);
    out.set_failed_operations(in.failed_operations);
    for (const std::string& name : in.failed_operation_names) out.add_failed_operation_names(name);
    out.set_log_tail(in.log_tail);
  }
}

}  // namespace

pb::BundlePhase PhaseFromStatus(absl::string_view phase) {
  if (phase == "Syncing") return pb::BUNDLE_PHASE_SYNCING;
  if (phase == "Synced") return pb::BUNDLE_PHASE_SYNCED;
  if (phase == "Failed") return pb::BUNDLE_PHASE_FAILED;
  return pb::BUNDLE_PHASE_UNSPECIFIED;
}

pb::ConvergeResult ConvergeResultFromStatus(absl::string_view result) {
  if (result == "Succeeded") return pb::CONVERGE_RESULT_SUCCEEDED;
  if (result == "Failed") return pb::CONVERGE_RESULT_FAILED;
  if (result == "Vanished") return pb::CONVERGE_RESULT_VANISHED;
  return pb::CONVERGE_RESULT_UNSPECIFIED;
}

absl::StatusOr<ConvertedBundle> BundleFromObject(const nlohmann::json& object) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError("a WerfBundle must be a JSON object");
  }
  ConvertedBundle converted;
  pb::Bundle& bundle = converted.bundle;
  std::vector<std::string>& problems = converted.problems;

  const FieldReader root(&object, "", &problems);
  const FieldReader metadata = root.Object("metadata");
  bundle.set_namespace_(metadata.String("namespace"));
  bundle.set_name(metadata.String("name"));
  if (bundle.namespace_().empty() || bundle.name().empty()) {
    return absl::InvalidArgumentError(
        "a WerfBundle needs metadata.namespace and metadata.name (WerfBundles are namespaced)");
  }
  bundle.set_uid(metadata.String("uid"));
  bundle.set_generation(metadata.Int("generation"));
  bundle.set_resource_version(metadata.String("resourceVersion"));
  if (auto time = metadata.Time("creationTimestamp")) *bundle.mutable_creation_time() = ToProto(*time);
  metadata.ForEachString("labels", [&bundle](const std::string& key, const std::string& value) {
    (*bundle.mutable_labels())[key] = value;
  });

  ConvertSpec(root.Object("spec"), bundle);
  if (const auto status = object.find("status"); status != object.end() && !status->is_null()) {
    if (status->is_object()) {
      ConvertStatus(api::BundleStatusFromJson(*status, &problems), bundle);
    } else {
      problems.push_back("status: is not an object");
    }
  }
  return converted;
}

}  // namespace werf::gateway
