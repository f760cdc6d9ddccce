// Controller::Reconcile: from a bundle, the registry facts and the Job results,
// decide the one next step and the status that describes it.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/duration.h"
#include "libs/common/hashing.h"
#include "libs/common/logging.h"
#include "libs/kube/api_error.h"
#include "services/controller/conditions.h"
#include "services/controller/controller.h"
#include "libs/hub/job_name.h"
#include "services/controller/metrics.h"
#include "services/controller/tag_selection.h"

namespace werf::controller {
namespace {

constexpr char kReconcileRequestedAt[] = "werf.io/reconcile-requested-at";
constexpr size_t kHistoryLimit = 10;

absl::Time ParseTime(const nlohmann::json& object, const char* key) {
  absl::Time time = absl::InfinitePast();
  if (object.is_object() && object.contains(key) && object[key].is_string()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, object[key].get<std::string>(), &time, &error)) {
      return absl::InfinitePast();
    }
  }
  return time;
}

std::string ProtoTime(const google::protobuf::Timestamp& time) {
  return FormatTimestamp(absl::FromUnixMillis(google::protobuf::util::TimeUtil::TimestampToMilliseconds(time)));
}

// The status conditions and phase for a bundle that cannot make progress until
// a person acts (Stalled), e.g. a bad spec or a missing ServiceAccount.
void MarkStalled(nlohmann::json& status, int64_t generation, absl::Time now,
                 const std::string& reason, const std::string& message) {
  status["phase"] = "Failed";
  status["lastErrorMessage"] = message;
  SetCondition(status, {"Ready", "False", reason, message}, generation, now);
  SetCondition(status, {"Stalled", "True", reason, message}, generation, now);
  SetCondition(status, {"Reconciling", "False", reason, "waiting for the spec or cluster to be fixed"},
               generation, now);
}

void MarkProgressing(nlohmann::json& status, int64_t generation, absl::Time now,
                     const std::string& reason, const std::string& message) {
  if (status.value("phase", "") != "Failed") status["phase"] = "Syncing";
  SetCondition(status, {"Ready", "False", reason, message}, generation, now);
  SetCondition(status, {"Reconciling", "True", reason, message}, generation, now);
  RemoveCondition(status, "Stalled");
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
    absl::StrAppend(&message, " (deploy report: ", job.deploy_report().status(), ")");
  }
  if (!job.log_tail().empty()) {
    const std::string& tail = job.log_tail();
    absl::StrAppend(&message, "; last log lines: ", tail.substr(tail.size() > 512 ? tail.size() - 512 : 0));
  }
  return message;
}

}  // namespace

std::vector<std::array<std::string, 3>> Controller::ApplyJobResults(const BundleSpec& spec,
                                                                    nlohmann::json& status) {
  std::vector<pb::JobObservation> mine;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = job_results_.begin(); it != job_results_.end();) {
      if (it->second.bundle().uid() == spec.uid || (it->second.bundle().uid().empty() &&
                                                    it->second.bundle().name() == spec.name &&
                                                    it->second.bundle().namespace_() == spec.ns)) {
        mine.push_back(it->second);
        it = job_results_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<std::array<std::string, 3>> events;
  nlohmann::json& history = status["history"];
  if (!history.is_array()) history = nlohmann::json::array();
  for (const pb::JobObservation& job : mine) {
    const bool seen = std::any_of(history.begin(), history.end(), [&](const nlohmann::json& h) {
      return h.value("jobName", "") == job.job_name();
    });
    const bool active = status.contains("activeJob") &&
                        status["activeJob"].value("name", "") == job.job_name();
    if (active) status.erase("activeJob");
    if (seen) continue;  // a resent observation of a Job already accounted for
    const absl::Time now = absl::Now();

    if (job.kind() == pb::JOB_KIND_DRIFT_CHECK) {
      status["lastDriftCheckTime"] = job.has_finished_at() ? ProtoTime(job.finished_at())
                                                           : FormatTimestamp(now);
      if (job.drift() == pb::DRIFT_RESULT_IN_SYNC) {
        SetCondition(status, {"Drifted", "False", "InSync", "the cluster matches the bundle"},
                     spec.generation, now);
        status["driftCorrections"] = 0;
      } else if (job.drift() == pb::DRIFT_RESULT_DRIFTED) {
        const int corrections = status.value("driftCorrections", 0);
        const bool correct = corrections < spec.drift_max_retries;
        const std::string message =
            correct ? absl::StrCat("the cluster differs from tag ", job.tag(), "; re-applying (",
                                   corrections + 1, " of ", spec.drift_max_retries, ")")
                    : absl::StrCat("the cluster differs from tag ", job.tag(),
                                   "; not correcting (maxRetries ", spec.drift_max_retries,
                                   " reached)");
        SetCondition(status, {"Drifted", "True", "DriftDetected", message}, spec.generation, now);
        events.push_back({"Warning", "DriftDetected", message});
        if (correct) {
          status["driftCorrections"] = corrections + 1;
          status.erase("lastAppliedConfigHash");  // makes the next reconcile re-apply
        }
      } else {
        SetCondition(status, {"Drifted", "Unknown", "DriftCheckFailed", DescribeFailure(job)},
                     spec.generation, now);
        events.push_back({"Warning", "DriftCheckFailed", DescribeFailure(job)});
      }
      continue;
    }

    nlohmann::json entry = {{"tag", job.tag()},
                            {"digest", job.digest()},
                            {"jobName", job.job_name()},
                            {"result", job.phase() == pb::JOB_PHASE_SUCCEEDED ? "Succeeded"
                                       : job.phase() == pb::JOB_PHASE_VANISHED  ? "Vanished"
                                                                                : "Failed"}};
    if (job.has_started_at()) entry["startedAt"] = ProtoTime(job.started_at());
    entry["finishedAt"] = job.has_finished_at() ? ProtoTime(job.finished_at()) : FormatTimestamp(now);
    if (job.phase() == pb::JOB_PHASE_SUCCEEDED) {
      status["lastAppliedTag"] = job.tag();
      status["lastAppliedDigest"] = job.digest();
      status["lastAppliedConfigHash"] = job.config_hash();
      status["lastSyncTime"] = FormatTimestamp(now);
      status["consecutiveFailures"] = 0;
      status["lastErrorMessage"] = "";
      entry["message"] = "deployed";
      events.push_back({"Normal", "ConvergeSucceeded",
                        absl::StrCat("deployed tag ", job.tag(), " with Job ", job.job_name())});
    } else {
      const int failures = status.value("consecutiveFailures", 0) + 1;
      status["consecutiveFailures"] = failures;
      const std::string message = DescribeFailure(job);
      status["lastErrorMessage"] = message;
      entry["message"] = message.substr(0, 1024);
      if (failures >= options_.failures_before_failed) status["phase"] = "Failed";
      events.push_back({"Warning", "ConvergeFailed", message});
    }
    history.insert(history.begin(), std::move(entry));
    while (history.size() > kHistoryLimit) history.erase(history.end() - 1);
  }
  return events;
}

absl::StatusOr<Controller::Outcome> Controller::Reconcile(const std::string& key) {
  const kube::ObjectPtr object = bundles_->store().Get(key);
  if (object == nullptr) {
    Untrack(key);
    return Outcome{};
  }
  const nlohmann::json& bundle = *object;
  const nlohmann::json& metadata = bundle["metadata"];
  if (metadata.contains("deletionTimestamp")) return Finalize(bundle);
  if (absl::Status ensured = EnsureFinalizer(bundle); !ensured.ok()) return ensured;
  if (metadata.value("finalizers", nlohmann::json::array()).dump().find("werf.io/cleanup") ==
      std::string::npos) {
    return Outcome{};  // the patch's watch event brings us back
  }

  const absl::Time now = absl::Now();
  const int64_t generation = metadata.value("generation", int64_t{0});
  nlohmann::json status = bundle.value("status", nlohmann::json::object());
  if (!status.is_object()) status = nlohmann::json::object();
  status["observedGeneration"] = generation;
  std::vector<std::array<std::string, 3>> events;
  const auto finish = [&](Outcome outcome) -> absl::StatusOr<Outcome> {
    if (absl::Status written = WriteStatus(bundle, status); !written.ok()) return written;
    for (const auto& [type, reason, message] : events) events_->Record(bundle, type, reason, message);
    return outcome;
  };

  // A user asked for an immediate look (annotation, as Flux's reconcile.fluxcd.io/requestedAt).
  const nlohmann::json annotations = metadata.value("annotations", nlohmann::json::object());
  const std::string requested = annotations.value(kReconcileRequestedAt, "");
  const bool poll_now = !requested.empty() && requested != status.value("lastHandledReconcileAt", "");
  if (poll_now) status["lastHandledReconcileAt"] = requested;

  absl::StatusOr<BundleSpec> parsed = ParseBundleSpec(bundle);
  if (!parsed.ok()) {
    Untrack(key);
    MarkStalled(status, generation, now, "InvalidSpec",
                absl::StrCat("WerfBundle ", key, ": ", parsed.status().message()));
    return finish(Outcome{});
  }
  const BundleSpec& spec = *parsed;
  for (auto& event : ApplyJobResults(spec, status)) events.push_back(std::move(event));

  if (spec.suspend) {
    Untrack(key);
    SetCondition(status, {"Ready", status.value("lastAppliedTag", "").empty() ? "False" : "True",
                          "Suspended", "spec.suspend is true: no polling and no converges"},
                 generation, now);
    SetCondition(status, {"Reconciling", "False", "Suspended", "spec.suspend is true"}, generation,
                 now);
    RemoveCondition(status, "Stalled");
    return finish(Outcome{});
  }

  if (std::optional<std::string> missing = MissingReference(spec)) {
    MarkStalled(status, generation, now, "MissingReference", *missing);
    // Fixing it creates an object we do not watch: look again shortly.
    return finish(Outcome{.requeue_after = options_.recheck_interval});
  }
  absl::StatusOr<std::string> values_hash = ValuesHash(spec);
  if (!values_hash.ok()) {
    MarkStalled(status, generation, now, "ValuesUnreadable",
                absl::StrCat("cannot read values for WerfBundle ", key, ": ",
                             values_hash.status().message()));
    return finish(Outcome{.requeue_after = options_.recheck_interval});
  }
  if (status.value("phase", "") == "Failed" && ConditionStatus(status, "Stalled") == "True") {
    status["phase"] = "Syncing";  // the configuration problem is gone
    status["lastErrorMessage"] = "";
  }
  RemoveCondition(status, "Stalled");

  // Registry facts. The latest tag chosen last time stays watched for its digest.
  const std::string previous_latest = status.value("latestTag", "");
  Track(key, spec, previous_latest, poll_now);
  const RepositoryState repository = registry_.Get(RepositoryKey(spec));
  if (repository.failure.has_value()) {
    const pb::PollFailed& failure = *repository.failure;
    SetCondition(status, {"RegistryReachable", "False", "PollFailed", failure.message()},
                 generation, now);
    status["lastErrorMessage"] = failure.message();
    if (static_cast<int>(failure.consecutive_failures()) >= options_.failures_before_failed) {
      status["phase"] = "Failed";
      SetCondition(status, {"Ready", "False", "RegistryUnreachable", failure.message()}, generation,
                   now);
    }
  } else if (repository.tags_known) {
    SetCondition(status, {"RegistryReachable", "True", "Polled",
                          absl::StrCat(repository.tags.size(), " tags in ", spec.repository)},
                 generation, now);
  }
  {
    absl::MutexLock lock(&mu_);
    if (auto rejected = rejections_.find(key); rejected != rejections_.end()) {
      status["lastErrorMessage"] = rejected->second;
      rejections_.erase(rejected);
    }
  }
  if (!repository.tags_known) {
    if (!repository.failure.has_value()) {
      MarkProgressing(status, generation, now, "WaitingForRegistry",
                      absl::StrCat("waiting for the first poll of ", spec.repository));
    }
    return finish(Outcome{});
  }

  const TagChoice choice = ChooseTag(repository.tags, spec);
  if (!choice.tag.has_value()) {
    const std::string message = absl::StrCat(
        "no tag of ", spec.repository, " matches", spec.tag_filter ? " the tag filter and" : "",
        " the constraint \"", spec.constraint_text.empty() ? "*" : spec.constraint_text, "\" (",
        choice.considered, " semver tags seen)");
    status.erase("latestTag");
    status.erase("latestDigest");
    if (status.value("phase", "") != "Failed") status["phase"] = "Syncing";
    SetCondition(status, {"Ready", "False", "NoMatchingTag", message}, generation, now);
    SetCondition(status, {"Reconciling", "False", "NoMatchingTag", message}, generation, now);
    return finish(Outcome{});
  }
  const std::string& tag = *choice.tag;
  if (tag != previous_latest) {
    status["latestTag"] = tag;
    status.erase("latestDigest");
    Track(key, spec, tag, false);
    events.push_back({"Normal", "NewTag", absl::StrCat("tag ", tag, " is the newest matching ",
                                                       spec.repository)});
  }
  auto digest_it = repository.digests.find(tag);
  if (digest_it == repository.digests.end()) {
    MarkProgressing(status, generation, now, "ResolvingDigest",
                    absl::StrCat("resolving the digest of ", spec.repository, ":", tag));
    return finish(Outcome{});
  }
  const std::string& digest = digest_it->second;
  status["latestDigest"] = digest;
  const std::string config_hash = common::ShortHash(spec.ConvergeSpecHash() + "/" + *values_hash);

  const int failures = status.value("consecutiveFailures", 0);
  const auto identity_for = [&](bool drift_check) {
    return hub::JobNameInputs{
        .bundle_namespace = spec.ns,
        .bundle_name = spec.name,
        .bundle_uid = spec.uid,
        .tag = tag,
        .digest = digest,
        .config_hash = config_hash,
        .kind = drift_check ? pb::JOB_KIND_DRIFT_CHECK : pb::JOB_KIND_APPLY,
        // Drift checks: one per interval. Applies: a fresh Job per retry and per drift correction.
        .attempt = drift_check
                       ? absl::ToUnixSeconds(now) /
                             std::max<int64_t>(1, absl::ToInt64Seconds(spec.drift_interval))
                       : failures + 1000 * status.value("driftCorrections", 0)};
  };

  // One converge at a time per bundle.
  if (status.contains("activeJob") && status["activeJob"].is_object()) {
    const nlohmann::json active = status["activeJob"];
    const absl::Time started = ParseTime(active, "startedAt");
    bool resubmit = false;
    if (now - started > options_.vanished_job_grace) {
      absl::StatusOr<nlohmann::json> job = client_->Get(
          kube::resources::kJobs, active.value("namespace", ""), active.value("name", ""));
      if (!job.ok() && kube::IsApiNotFound(job.status())) {
        if (active.value("name", "") == hub::JobName(identity_for(false))) {
          // Never created (e.g. the controller restarted before any converger took the
          // request): ask again; the deterministic name keeps it a single Job.
          resubmit = true;
          status.erase("activeJob");
        } else {
          pb::JobObservation vanished;
          vanished.set_job_name(active.value("name", ""));
          vanished.set_job_namespace(active.value("namespace", ""));
          vanished.set_phase(pb::JOB_PHASE_VANISHED);
          vanished.set_tag(active.value("tag", ""));
          vanished.set_digest(active.value("digest", ""));
          vanished.set_kind(active.value("kind", "") == "DriftCheck" ? pb::JOB_KIND_DRIFT_CHECK
                                                                       : pb::JOB_KIND_APPLY);
          vanished.mutable_bundle()->set_uid(spec.uid);
          {
            absl::MutexLock lock(&mu_);
            job_results_[vanished.job_name()] = vanished;
          }
          if (hub_ != nullptr) hub_->ForgetConverge(vanished.job_name());
          return finish(Outcome{.requeue_after = absl::Milliseconds(1)});
        }
      }
    }
    if (!resubmit) {
      MarkProgressing(status, generation, now, "Converging",
                      absl::StrCat("Job ", active.value("namespace", ""), "/",
                                   active.value("name", ""), " is deploying tag ",
                                   active.value("tag", "")));
      return finish(Outcome{.requeue_after = options_.vanished_job_grace});
    }
  }

  const bool applied = status.value("lastAppliedTag", "") == tag &&
                       status.value("lastAppliedDigest", "") == digest &&
                       status.value("lastAppliedConfigHash", "") == config_hash;
  if (applied) {
    status["phase"] = "Synced";
    status["lastErrorMessage"] = "";
    const std::string message = absl::StrCat("tag ", tag, " (", digest.substr(0, 19), ") is deployed");
    SetCondition(status, {"Ready", "True", "Synced", message}, generation, now);
    SetCondition(status, {"Reconciling", "False", "Synced", message}, generation, now);
    if (!spec.drift_enabled) return finish(Outcome{});
    absl::Time last_check = ParseTime(status, "lastDriftCheckTime");
    if (last_check == absl::InfinitePast()) last_check = ParseTime(status, "lastSyncTime");
    const absl::Time due = last_check + spec.drift_interval;
    if (now < due) return finish(Outcome{.requeue_after = due - now});
    // Fall through to a drift check Job below.
  }

  const bool drift_check = applied;
  if (!drift_check && failures > 0) {
    // Retry with exponential backoff after the last failure.
    absl::Duration delay = options_.failure_backoff_base;
    for (int i = 1; i < failures && delay < options_.failure_backoff_max; ++i) delay *= 2;
    delay = std::min(delay, options_.failure_backoff_max);
    absl::Time last_failure = absl::InfinitePast();
    if (status["history"].is_array() && !status["history"].empty()) {
      last_failure = ParseTime(status["history"][0], "finishedAt");
    }
    if (now < last_failure + delay) {
      SetCondition(status, {"Reconciling", "True", "RetryBackoff",
                            absl::StrCat("retrying after ", failures, " failure(s) in ",
                                         common::FormatGoDuration(last_failure + delay - now))},
                   generation, now);
      SetCondition(status, {"Ready", "False", "ConvergeFailed", status.value("lastErrorMessage", "")},
                   generation, now);
      return finish(Outcome{.requeue_after = last_failure + delay - now});
    }
  }

  const hub::JobNameInputs identity = identity_for(drift_check);
  pb::ConvergeRequest request;
  request.set_job_name(hub::JobName(identity));
  request.mutable_bundle()->set_namespace_(spec.ns);
  request.mutable_bundle()->set_name(spec.name);
  request.mutable_bundle()->set_uid(spec.uid);
  request.set_kind(drift_check ? pb::JOB_KIND_DRIFT_CHECK : pb::JOB_KIND_APPLY);
  request.set_repository(spec.repository);
  request.set_tag(tag);
  request.set_digest(digest);
  request.set_release(spec.release);
  request.set_target_namespace(spec.target_namespace);
  request.set_service_account_name(spec.service_account);
  request.set_image(spec.image);
  *request.mutable_timeout() = google::protobuf::util::TimeUtil::MillisecondsToDuration(
      absl::ToInt64Milliseconds(spec.timeout));
  request.mutable_resources()->set_cpu(spec.cpu);
  request.mutable_resources()->set_memory(spec.memory);
  request.set_log_retention_days(spec.log_retention_days);
  if (!spec.secret_name.empty()) {
    request.mutable_access()->mutable_credentials_secret()->set_namespace_(spec.ns);
    request.mutable_access()->mutable_credentials_secret()->set_name(spec.secret_name);
  }
  if (!spec.ca_secret_name.empty()) {
    request.mutable_access()->mutable_ca_secret()->set_namespace_(spec.ns);
    request.mutable_access()->mutable_ca_secret()->set_name(spec.ca_secret_name);
  }
  request.mutable_access()->set_insecure(spec.insecure);
  request.mutable_access()->set_plain_http(spec.plain_http);
  for (const ValuesSourceSpec& source : spec.values_from) {
    pb::ValuesSource* values = request.add_values_from();
    values->set_kind(source.is_secret ? pb::VALUES_SOURCE_KIND_SECRET
                                      : pb::VALUES_SOURCE_KIND_CONFIG_MAP);
    values->mutable_object()->set_namespace_(spec.ns);
    values->mutable_object()->set_name(source.name);
    values->set_key(source.key);
    values->set_optional(source.optional);
  }
  request.set_values_hash(*values_hash);
  request.set_config_hash(config_hash);
  request.mutable_pod_labels()->insert(spec.pod_labels.begin(), spec.pod_labels.end());
  request.mutable_pod_annotations()->insert(spec.pod_annotations.begin(), spec.pod_annotations.end());
  request.set_generation(generation);
  if (hub_ != nullptr) hub_->SubmitConverge(request);
  ControllerMetrics().Converge(drift_check ? "drift-check" : "apply");

  status["activeJob"] = {{"name", request.job_name()},
                         {"namespace", spec.target_namespace},
                         {"tag", tag},
                         {"digest", digest},
                         {"kind", drift_check ? "DriftCheck" : "Apply"},
                         {"startedAt", FormatTimestamp(now)}};
  if (drift_check) {
    SetCondition(status, {"Reconciling", "False", "DriftCheck",
                          absl::StrCat("checking for drift with Job ", request.job_name())},
                 generation, now);
  } else {
    MarkProgressing(status, generation, now, "Converging",
                    absl::StrCat("Job ", spec.target_namespace, "/", request.job_name(),
                                 " is deploying tag ", tag));
    events.push_back({"Normal", "ConvergeStarted",
                      absl::StrCat("deploying tag ", tag, " with Job ", spec.target_namespace, "/",
                                   request.job_name())});
  }
  common::LogInfo(drift_check ? "drift check requested" : "converge requested",
                  {{"bundle", spec.name}, {"namespace", spec.ns}, {"job", request.job_name()},
                   {"tag", tag}});
  return finish(Outcome{.requeue_after = options_.vanished_job_grace});
}

}  // namespace werf::controller
