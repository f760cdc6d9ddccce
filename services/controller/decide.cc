#include "services/controller/decide.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/api/json_fields.h"
#include "libs/common/backoff.h"
#include "libs/common/utf8.h"
#include "services/controller/requests.h"
#include "services/controller/tag_set.h"

namespace werf::controller {
namespace {

using ::google::protobuf::util::TimeUtil;
using api::BundleStatus;
using api::JobKind;

absl::Time FromProto(const google::protobuf::Timestamp& time) {
  return absl::FromUnixMillis(TimeUtil::TimestampToMilliseconds(time));
}

// At most `limit` bytes of `text` (with "..." when cut), on a character boundary: a status
// with a broken character would not serialise.
std::string Truncated(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  return absl::StrCat(common::Utf8Prefix(text, limit - 3), "...");
}

std::string Tail(const std::string& text, size_t limit) { return std::string(common::Utf8Suffix(text, limit)); }

// Copies werf's deploy report (when it wrote one) and, for a failure, the log tail into `entry`.
void RecordOutcome(const pb::JobObservation& job, api::HistoryEntry& entry) {
  if (job.has_deploy_report() && !job.deploy_report().status().empty()) {
    const pb::DeployReport& report = job.deploy_report();
    entry.revision = report.revision();
    entry.report_status = report.status();
    entry.completed_operations = static_cast<uint32_t>(std::max(0, report.completed_operations()));
    entry.canceled_operations = static_cast<uint32_t>(std::max(0, report.canceled_operations()));
    entry.failed_operations = static_cast<uint32_t>(std::max(0, report.failed_operations()));
    for (const std::string& name : report.failed_operation_names()) {
      if (entry.failed_operation_names.size() == api::kFailedOperationNamesLimit) break;
      entry.failed_operation_names.push_back(Truncated(name, 256));
    }
  }
  if (job.phase() != pb::JOB_PHASE_SUCCEEDED) entry.log_tail = Tail(job.log_tail(), api::kHistoryLogTailLimit);
}

// What werf's deploy report says, e.g. "revision 3, 4 completed, 0 canceled, 0 failed
// operations"; empty without a report (werf failed before deploying, or an old converger).
std::string DescribeReport(const pb::JobObservation& job) {
  if (!job.has_deploy_report() || job.deploy_report().status().empty()) return "";
  const pb::DeployReport& report = job.deploy_report();
  return absl::StrCat("revision ", report.revision(), ", ", report.completed_operations(), " completed, ",
                      report.canceled_operations(), " canceled, ", report.failed_operations(),
                      " failed operations");
}

std::string DescribeFailure(const pb::JobObservation& job) {
  std::string message = absl::StrCat("Job ", job.job_namespace(), "/", job.job_name());
  if (job.phase() == pb::JOB_PHASE_VANISHED) {
    return absl::StrCat(message, " disappeared before it finished (deleted by hand?); it will be retried");
  }
  absl::StrAppend(&message, " failed");
  if (job.exit_code() != 0) absl::StrAppend(&message, " with exit code ", job.exit_code());
  if (!job.message().empty()) absl::StrAppend(&message, ": ", job.message());
  if (!job.deploy_report().status().empty()) {
    absl::StrAppend(&message, " (deploy report: ", job.deploy_report().status(), "; ", DescribeReport(job), ")");
  }
  if (!job.log_tail().empty()) {
    const std::string& tail = job.log_tail();
    absl::StrAppend(&message, "; last log lines: ", Tail(tail, 512));
  }
  return message;
}

// What the bundle is doing, for the Ready/Reconciling/Stalled conditions and the phase.
struct Situation {
  enum class Kind {
    kStalled,      // a person must fix the spec or the cluster
    kSuspended,    // spec.suspend
    kProgressing,  // work under way or waited for (registry, Job, backoff)
    kIdle,         // nothing to do: deployed, or no tag to deploy
  };
  Kind kind = Kind::kProgressing;
  std::string reason;
  std::string message;
};

class Decider {
 public:
  Decider(const Observed& in, const DecideOptions& options) : in_(in), options_(options) {
    out_.status = in.status;
  }

  Decision Run() {
    if (in_.deleting) {
      out_.finalize = true;
      return std::move(out_);
    }
    BundleStatus& s = out_.status;
    const bool spec_changed = s.observed_generation != in_.generation;
    s.observed_generation = in_.generation;
    if (!in_.reconcile_requested_at.empty() &&
        in_.reconcile_requested_at != s.last_handled_reconcile_at) {
      s.last_handled_reconcile_at = in_.reconcile_requested_at;
      out_.poll_now = true;
    }
    if (!in_.spec.ok()) {
      MergeResults(/*drift_max_retries=*/0);
      return Conclude({Situation::Kind::kStalled, "InvalidSpec",
                       absl::StrCat("WerfBundle ", in_.key, ": ", in_.spec.status().message())});
    }
    spec_ = &*in_.spec;
    // An edited spec is worth trying at once (a failure merged below, of a Job that
    // ran the old spec, starts a backoff of its own).
    if (spec_changed) s.next_retry_time.reset();
    MergeResults(spec_->drift_max_retries);
    if (spec_->suspend) {
      return Conclude({Situation::Kind::kSuspended, "Suspended",
                       "spec.suspend is true: no polling and no converges"});
    }
    if (std::optional<Situation> refused = CheckBounds()) return Conclude(*refused);
    if (in_.cluster.missing_reference.has_value()) {
      out_.requeue_after = options_.recheck_interval;
      return Conclude({Situation::Kind::kStalled, "MissingReference", *in_.cluster.missing_reference});
    }
    if (!in_.cluster.values_hash.ok()) {
      out_.requeue_after = options_.recheck_interval;
      return Conclude({Situation::Kind::kStalled, "ValuesUnreadable",
                       absl::StrCat("cannot read values for WerfBundle ", in_.key, ": ",
                                    in_.cluster.values_hash.status().message())});
    }
    return Conclude(Converge());
  }

 private:
  // --- what a bundle may ask for -----------------------------------------------------

  // Tenancy (libs/api/tenancy.h) and the operator's floors, as a Stalled situation.
  std::optional<Situation> CheckBounds() const {
    const BundleSpec& spec = *spec_;
    if (absl::Status target = api::CheckTarget(options_.tenancy, spec.ns, spec.target_namespace,
                                               spec.service_account, in_.cluster.target_namespace_annotations);
        !target.ok()) {
      return Situation{Situation::Kind::kStalled, "TenancyViolation",
                       absl::StrCat("WerfBundle ", in_.key, ": ", target.message())};
    }
    if (absl::Status image = api::CheckImage(options_.tenancy, spec.image); !image.ok()) {
      return Situation{Situation::Kind::kStalled, "ImageNotAllowed",
                       absl::StrCat("WerfBundle ", in_.key, ": ", image.message())};
    }
    const auto floor = [&](const char* field, absl::Duration value, absl::Duration minimum,
                           const char* flag) -> std::optional<Situation> {
      if (value >= minimum) return std::nullopt;
      return Situation{Situation::Kind::kStalled, "InvalidSpec",
                       absl::StrCat("WerfBundle ", in_.key, ": ", field, ": ", absl::FormatDuration(value),
                                    " is below the operator's minimum ", absl::FormatDuration(minimum), " (", flag,
                                    "); use a longer interval, or werf.io/reconcile-requested-at to poll at once")};
    };
    if (auto low = floor("spec.registry.pollInterval", spec.poll_interval, options_.min_poll_interval,
                         "--min_poll_interval")) {
      return low;
    }
    if (spec.drift_enabled) {
      return floor("spec.converge.driftDetection.interval", spec.drift_interval, options_.min_drift_interval,
                   "--min_drift_interval");
    }
    return std::nullopt;
  }

  // --- results of Jobs -----------------------------------------------------------

  // Merges the result of status.activeJob, if it is among the observations. Every
  // other observation is stale (a replay of a Job merged before, or of a Job this
  // status never asked for) and changes nothing.
  void MergeResults(int drift_max_retries) {
    BundleStatus& s = out_.status;
    if (!s.active_job.has_value()) return;
    const std::string active = s.active_job->name;
    for (const Refusal& refusal : in_.refusals) {
      if (refusal.job_name != active) continue;
      out_.consumed.push_back(refusal.job_name);
      MergeRefusal(refusal);
      return;
    }
    for (const pb::JobObservation& job : in_.job_results) {
      if (job.job_name() != active || job.phase() == pb::JOB_PHASE_RUNNING) continue;
      out_.consumed.push_back(job.job_name());
      if (s.active_job->kind == JobKind::kDriftCheck) {
        MergeDriftCheck(job, drift_max_retries);
      } else {
        MergeApply(job);
      }
      s.active_job.reset();
      return;
    }
  }

  void MergeRefusal(const Refusal& refusal) {
    BundleStatus& s = out_.status;
    // Nothing ran, so this is no failure of the deploy; ask again after a pause with
    // a Job of its own.
    const std::string message =
        absl::StrCat("converger refused Job \"", refusal.job_name, "\": ", refusal.message);
    s.last_error_message = message;
    s.next_retry_time = in_.now + options_.recheck_interval;
    s.active_job.reset();
    out_.events.push_back({"Warning", "ConvergeRefused", message});
  }

  void MergeApply(const pb::JobObservation& job) {
    BundleStatus& s = out_.status;
    const api::ActiveJob& active = *s.active_job;
    api::HistoryEntry entry{.tag = active.tag, .digest = active.digest, .job_name = active.name,
                            .drift_correction = s.drift_correction_pending};
    if (job.has_started_at()) entry.started_at = FromProto(job.started_at());
    entry.finished_at = job.has_finished_at() ? FromProto(job.finished_at()) : in_.now;
    RecordOutcome(job, entry);
    if (job.phase() == pb::JOB_PHASE_SUCCEEDED) {
      entry.result = api::JobResult::kSucceeded;
      const std::string report = DescribeReport(job);
      entry.message = report.empty() ? "deployed" : absl::StrCat("deployed: ", report);
      s.last_applied_tag = active.tag;
      s.last_applied_digest = active.digest;
      s.last_applied_config_hash = active.config_hash;
      s.last_sync_time = in_.now;
      s.consecutive_failures = 0;
      s.next_retry_time.reset();
      s.last_error_message.clear();
      if (s.drift_correction_pending) {
        s.drift_correction_pending = false;
        out_.drift_corrected = true;
        s.SetCondition({.type = "Drifted", .status = "False", .reason = "DriftCorrected",
                        .message = absl::StrCat("re-applied tag ", active.tag, " with Job ", active.name),
                        .observed_generation = in_.generation},
                       in_.now);
        out_.events.push_back({"Normal", "DriftCorrected",
                               absl::StrCat("re-applied tag ", active.tag, " with Job ", active.name)});
      }
      out_.events.push_back({"Normal", "ConvergeSucceeded",
                             absl::StrCat("deployed tag ", active.tag, " with Job ", active.name,
                                          report.empty() ? "" : absl::StrCat(" (", report, ")"))});
    } else {
      entry.result = job.phase() == pb::JOB_PHASE_VANISHED ? api::JobResult::kVanished
                                                           : api::JobResult::kFailed;
      const std::string message = DescribeFailure(job);
      entry.message = Truncated(message, 1024);
      s.consecutive_failures += 1;
      s.last_error_message = message;
      s.next_retry_time = *entry.finished_at + Backoff(s.consecutive_failures);
      out_.events.push_back({"Warning", "ConvergeFailed", message});
    }
    s.history.insert(s.history.begin(), std::move(entry));
    if (s.history.size() > api::kHistoryLimit) s.history.resize(api::kHistoryLimit);
  }

  void MergeDriftCheck(const pb::JobObservation& job, int max_retries) {
    BundleStatus& s = out_.status;
    const std::string& tag = s.active_job->tag;
    s.last_drift_check_time = job.has_finished_at() ? FromProto(job.finished_at()) : in_.now;
    const auto set_drifted = [&](const char* status, const char* reason, std::string message) {
      s.SetCondition({.type = "Drifted", .status = status, .reason = reason,
                      .message = std::move(message), .observed_generation = in_.generation},
                     in_.now);
    };
    if (job.drift() == pb::DRIFT_RESULT_IN_SYNC) {
      set_drifted("False", "InSync", "the cluster matches the bundle");
      s.drift_corrections = 0;
      s.drift_correction_pending = false;
      return;
    }
    if (job.drift() == pb::DRIFT_RESULT_DRIFTED) {
      const bool correct = s.drift_corrections < max_retries;
      const std::string message =
          correct ? absl::StrCat("the cluster differs from tag ", tag, "; re-applying (",
                                 s.drift_corrections + 1, " of ", max_retries, ")")
                  : absl::StrCat("the cluster differs from tag ", tag,
                                 "; not correcting (maxRetries ", max_retries, " reached)");
      set_drifted("True", "DriftDetected", message);
      out_.events.push_back({"Warning", "DriftDetected", message});
      if (correct) {
        s.drift_corrections += 1;
        s.drift_correction_pending = true;
      }
      return;
    }
    const std::string message = DescribeFailure(job);
    set_drifted("Unknown", "DriftCheckFailed", message);
    out_.events.push_back({"Warning", "DriftCheckFailed", message});
  }

  absl::Duration Backoff(int failures) const {
    return common::CappedExponentialDelay(options_.failure_backoff_base, options_.failure_backoff_max, failures);
  }

  // --- the next step -----------------------------------------------------------

  Situation Converge() {
    BundleStatus& s = out_.status;
    const BundleSpec& spec = *spec_;
    Situation registry = ObserveRegistry();

    // The tag to run. Without fresh registry facts (a restarted controller before
    // the first poll) the last ones recorded in status stand, so a restart changes
    // nothing.
    const RegistryFacts& facts = in_.registry;
    if (facts.tags_known) {
      const TagChoice choice = facts.tags->Choose(spec);
      if (!choice.tag.has_value()) {
        s.latest_tag.clear();
        s.latest_digest.clear();
        Track();
        return {Situation::Kind::kIdle, "NoMatchingTag",
                absl::StrCat("no tag of ", spec.repository, " matches",
                             spec.tag_filter ? " the tag filter and" : "", " the constraint \"",
                             spec.constraint_text.empty() ? "*" : spec.constraint_text, "\" (",
                             choice.considered, " semver tags seen)")};
      }
      if (*choice.tag != s.latest_tag) {
        s.latest_tag = *choice.tag;
        s.latest_digest.clear();
        out_.events.push_back({"Normal", "NewTag",
                               absl::StrCat("tag ", s.latest_tag, " is the newest matching ",
                                            spec.repository)});
      }
      if (auto digest = facts.digests.find(s.latest_tag); digest != facts.digests.end()) {
        s.latest_digest = digest->second;
      }
    }
    Track();
    if (s.latest_tag.empty()) return registry;
    if (s.latest_digest.empty()) {
      return {Situation::Kind::kProgressing, "ResolvingDigest",
              absl::StrCat("resolving the digest of ", spec.repository, ":", s.latest_tag)};
    }

    const std::string config_hash = ConfigHash(spec, *in_.cluster.values_hash);
    // Deployed: what runs is what the spec and the registry ask for now.
    up_to_date_ = s.last_applied_tag == s.latest_tag && s.last_applied_digest == s.latest_digest &&
                  s.last_applied_config_hash == config_hash && !s.drift_correction_pending &&
                  !(s.active_job.has_value() && s.active_job->kind == JobKind::kApply);
    if (s.active_job.has_value()) return InFlight();

    const bool applied = s.last_applied_tag == s.latest_tag &&
                         s.last_applied_digest == s.latest_digest &&
                         s.last_applied_config_hash == config_hash;
    if (!applied || s.drift_correction_pending) {
      if (s.next_retry_time.has_value() && in_.now < *s.next_retry_time) {
        out_.requeue_after = *s.next_retry_time - in_.now;
        return {Situation::Kind::kProgressing, "RetryBackoff",
                absl::StrCat("retrying at ", api::Rfc3339(*s.next_retry_time), " after ",
                             s.consecutive_failures > 0
                                 ? absl::StrCat(s.consecutive_failures, " failure(s)")
                                 : "a refused request",
                             ": ", s.last_error_message)};
      }
      Request(JobKind::kApply, config_hash);
      up_to_date_ = false;
      return InFlight();
    }
    if (spec.drift_enabled) {
      const std::optional<absl::Time> last =
          s.last_drift_check_time.has_value() ? s.last_drift_check_time : s.last_sync_time;
      const absl::Time due = last.value_or(in_.now) + spec.drift_interval;
      if (in_.now >= due) {
        Request(JobKind::kDriftCheck, config_hash);
        return InFlight();
      }
      out_.requeue_after = due - in_.now;
    }
    return {Situation::Kind::kIdle, "Synced",
            absl::StrCat("tag ", s.latest_tag, " (", s.latest_digest.substr(0, 19), ") is deployed")};
  }

  // RegistryReachable from the pollers' latest word; the situation while no tag is known.
  Situation ObserveRegistry() {
    BundleStatus& s = out_.status;
    const RegistryFacts& facts = in_.registry;
    if (facts.last_event_time.has_value() &&
        (!s.last_webhook_time.has_value() || *s.last_webhook_time < *facts.last_event_time)) {
      s.last_webhook_time = facts.last_event_time;
    }
    if (facts.failure.has_value()) {
      std::string message = absl::StrCat(facts.failure->message(), " (", facts.consecutive_failures,
                                         " failed poll(s) in a row");
      if (facts.failure->has_next_attempt_at()) {
        absl::StrAppend(&message, "; next attempt at ",
                        api::Rfc3339(FromProto(facts.failure->next_attempt_at())));
      }
      absl::StrAppend(&message, ")");
      s.SetCondition({.type = "RegistryReachable", .status = "False", .reason = "PollFailed",
                      .message = message, .observed_generation = in_.generation},
                     in_.now);
      s.last_error_message = message;
      return {Situation::Kind::kProgressing, "RegistryUnreachable", message};
    }
    if (facts.throttled.has_value()) {
      // The registry answers, it asks us to wait: reachable, and nothing to fix.
      const std::string message = absl::StrCat(facts.throttled->message(), " (polling resumes at ",
                                               api::Rfc3339(FromProto(facts.throttled->resumes_at())), ")");
      s.SetCondition({.type = "RegistryReachable", .status = "True", .reason = "RateLimited",
                      .message = message, .observed_generation = in_.generation},
                     in_.now);
      return {Situation::Kind::kProgressing, "RateLimited", message};
    }
    if (facts.tags_known) {
      // The registry answers again: its error is no longer the last word.
      if (const api::Condition* before = s.FindCondition("RegistryReachable");
          before != nullptr && before->status == "False" && s.last_error_message == before->message) {
        s.last_error_message.clear();
      }
      s.SetCondition({.type = "RegistryReachable", .status = "True", .reason = "Polled",
                      .message = absl::StrCat(facts.tags->size(), " tags in ", spec_->repository),
                      .observed_generation = in_.generation},
                     in_.now);
    }
    return {Situation::Kind::kProgressing, "WaitingForRegistry",
            absl::StrCat("waiting for the first poll of ", spec_->repository)};
  }

  void Track() {
    out_.track = TrackFor(*spec_, out_.status.latest_tag, in_.cluster);
  }

  void Request(JobKind kind, const std::string& config_hash) {
    BundleStatus& s = out_.status;
    s.job_sequence += 1;
    s.active_job = api::ActiveJob{
        .name = JobNameFor(*spec_, kind, s.job_sequence, s.latest_tag, s.latest_digest, config_hash),
        .ns = spec_->target_namespace,
        .tag = s.latest_tag,
        .digest = s.latest_digest,
        .config_hash = config_hash,
        .kind = kind,
        .sequence = s.job_sequence,
        .started_at = in_.now};
    out_.converge_is_new = true;
    if (kind == JobKind::kApply) {
      out_.events.push_back({"Normal", "ConvergeStarted",
                             absl::StrCat("deploying tag ", s.latest_tag, " with Job ",
                                          spec_->target_namespace, "/", s.active_job->name)});
    }
  }

  // A Job is in flight: make sure a converger has it, and say what it does.
  Situation InFlight() {
    const api::ActiveJob& job = *out_.status.active_job;
    if (out_.converge_is_new || !in_.active_job_reported) {
      out_.converge = ConvergeRequestFor(*spec_, job, *in_.cluster.values_hash, in_.generation);
    }
    out_.requeue_after = options_.active_job_recheck;
    if (job.kind == JobKind::kDriftCheck) {
      return {Situation::Kind::kIdle, "DriftCheck",
              absl::StrCat("checking for drift with Job ", job.ns, "/", job.name)};
    }
    return {Situation::Kind::kProgressing, "Converging",
            absl::StrCat("Job ", job.ns, "/", job.name, " is deploying tag ", job.tag)};
  }

  // --- conditions and phase -----------------------------------------------------

  Decision Conclude(const Situation& situation) {
    BundleStatus& s = out_.status;
    const absl::Time now = in_.now;
    const int64_t generation = in_.generation;
    const auto set = [&](const char* type, bool value, const std::string& reason,
                         const std::string& message) {
      s.SetCondition({.type = type, .status = value ? "True" : "False", .reason = reason,
                      .message = message, .observed_generation = generation},
                     now);
    };
    if (situation.kind == Situation::Kind::kStalled) {
      if (s.ConditionStatus("Stalled") != "True" || s.FindCondition("Stalled")->message != situation.message) {
        out_.events.push_back({"Warning", situation.reason, situation.message});
      }
      s.phase = api::Phase::kFailed;
      s.last_error_message = situation.message;
      set("Ready", false, situation.reason, situation.message);
      set("Stalled", true, situation.reason, situation.message);
      set("Reconciling", false, situation.reason, "waiting for the spec or cluster to be fixed");
      out_.track.reset();
      return std::move(out_);
    }
    if (s.ConditionStatus("Stalled") == "True" && s.last_error_message == s.FindCondition("Stalled")->message) {
      s.last_error_message.clear();  // the configuration problem is gone
    }
    s.RemoveCondition("Stalled");

    const bool registry_failed = in_.registry.failure.has_value() &&
                                 in_.registry.consecutive_failures >= options_.failures_before_failed;
    const bool converge_failed = s.consecutive_failures >= options_.failures_before_failed;
    // Drift found and maxRetries corrections spent: a person must look.
    const bool drift_uncorrected = s.ConditionStatus("Drifted") == "True" && !s.drift_correction_pending;

    if (situation.kind == Situation::Kind::kSuspended) {
      const bool has_deploy = !s.last_applied_tag.empty();
      set("Ready", has_deploy, "Suspended", situation.message);
      set("Reconciling", false, "Suspended", situation.message);
      out_.track.reset();
      if (s.phase == api::Phase::kUnknown) s.phase = api::Phase::kSyncing;
      return std::move(out_);
    }

    if (registry_failed) {
      const std::string message = absl::StrCat("registry of ", spec_->repository,
                                               " unreachable: ", s.FindCondition("RegistryReachable")->message);
      if (s.phase != api::Phase::kFailed) out_.events.push_back({"Warning", "RegistryUnreachable", message});
      s.phase = api::Phase::kFailed;
      s.last_error_message = message;
      set("Ready", false, "RegistryUnreachable", message);
    } else if (converge_failed) {
      s.phase = api::Phase::kFailed;
      set("Ready", false, "ConvergeFailed", s.last_error_message);
    } else if (drift_uncorrected) {
      s.phase = api::Phase::kFailed;
      s.last_error_message = s.FindCondition("Drifted")->message;
      set("Ready", false, "Drifted", s.last_error_message);
    } else if (up_to_date_) {
      // Polls failing fewer than failures_before_failed times are a blip: what is
      // deployed is still what was chosen, and RegistryReachable says what failed.
      s.phase = api::Phase::kSynced;
      s.last_error_message =
          in_.registry.failure.has_value() ? s.FindCondition("RegistryReachable")->message : "";
      set("Ready", true, "Synced",
          absl::StrCat("tag ", s.last_applied_tag, " (", s.last_applied_digest.substr(0, 19),
                       ") is deployed"));
    } else {
      s.phase = api::Phase::kSyncing;
      set("Ready", false, situation.reason, situation.message);
    }
    set("Reconciling", situation.kind == Situation::Kind::kProgressing, situation.reason,
        situation.message);
    return std::move(out_);
  }

  const Observed& in_;
  const DecideOptions& options_;
  const BundleSpec* spec_ = nullptr;
  bool up_to_date_ = false;
  Decision out_;
};

}  // namespace

Decision Decide(const Observed& observed, const DecideOptions& options) {
  Decision decision = Decider(observed, options).Run();
  if (!decision.finalize) {
    SetNotificationsCondition(observed.notifications, observed.generation, observed.now, decision.status);
  }
  return decision;
}

}  // namespace werf::controller
