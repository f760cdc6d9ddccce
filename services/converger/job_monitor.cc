#include "services/converger/job_monitor.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/hub/job_labels.h"
#include "libs/kube/resource.h"
#include "services/converger/converger_metrics.h"
#include "services/converger/job_builder.h"
#include "services/converger/job_observation.h"
#include "services/converger/redaction.h"

namespace werf::converger {
namespace {

using nlohmann::json;

// Log requests ask for more than the tail keeps: the API's limitBytes cuts the END of
// the tail window, and the newest lines are the ones worth keeping.
constexpr int64_t kLogFetchBytes = 64 << 10;
constexpr size_t kMaxReasonBytes = 300;

std::string Metadata(const json& object, const char* field) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return metadata->value(field, "");
}

std::string Label(const json& object, absl::string_view label) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->contains("labels")) return "";
  return (*metadata)["labels"].value(std::string(label), "");
}

bool SameBundle(const json& job, absl::string_view bundle_namespace, absl::string_view bundle_name) {
  if (Label(job, hub::kLabelBundleNamespace) != hub::LabelValue(bundle_namespace) ||
      Label(job, hub::kLabelBundle) != hub::LabelValue(bundle_name)) {
    return false;
  }
  // Labels may be shortened; the annotation is exact where present.
  const auto metadata = job.find("metadata");
  const std::string exact = metadata->contains("annotations")
                                ? (*metadata)["annotations"].value(std::string(hub::kAnnotationBundle), "")
                                : "";
  return exact.empty() || exact == absl::StrCat(bundle_namespace, "/", bundle_name);
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobMonitor>> JobMonitor::Create(std::shared_ptr<kube::RestClient> client,
                                                                JobMonitorOptions options,
                                                                Publisher publish) {
  const int workers = std::max(1, options.workers);
  std::unique_ptr<JobMonitor> monitor(new JobMonitor(std::move(client), std::move(options), std::move(publish)));
  ASSIGN_OR_RETURN(
      monitor->loop_,
      kube::ControllerLoop::Create(
          {.name = "converger_jobs",
           .workers = workers,
           .metrics_registry = &common::MetricsRegistry(),
           .clock = &monitor->clock_},
          [raw = monitor.get()](const std::string& key) -> absl::StatusOr<absl::Duration> {
            const absl::Status processed = raw->Process(key);
            if (!processed.ok()) {
              common::LogWarning("processing werf Job failed; retrying", {{"job", key}, {"error", processed.ToString()}});
              return processed;
            }
            return absl::ZeroDuration();
          }));
  return monitor;
}

JobMonitor::JobMonitor(std::shared_ptr<kube::RestClient> client, JobMonitorOptions options, Publisher publish)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()),
      publish_(std::move(publish)),
      informer_(client_, {.resource = kube::resources::kJobs,
                          .ns = options_.watch_namespace,
                          .label_selector = hub::ManagedJobsSelector(),
                          .name = "werf-jobs",
                          .transform = JobForMonitor,
                          .clock = &clock_}) {
  informer_.AddHandlers(
      {.on_add =
           [this](const kube::ObjectPtr& job) {
             if (!informer_.HasSynced() && IsFinished(StateOfJob(*job))) {
               absl::MutexLock lock(&mu_);
               Tracked& tracked = tracked_[kube::ObjectKey(*job)];
               tracked = Tracked();
               tracked.uid = Metadata(*job, "uid");
               tracked.finished = true;  // nothing to publish until someone asks
               tracked.dormant = true;
               return;
             }
             loop_->Add(kube::ObjectKey(*job));
           },
       .on_update = [this](const kube::ObjectPtr&,
                           const kube::ObjectPtr& job) { loop_->Add(kube::ObjectKey(*job)); },
       .on_delete =
           [this](const kube::ObjectPtr& job) {
             const std::string key = kube::ObjectKey(*job);
             {
               absl::MutexLock lock(&mu_);
               tombstones_[key] = job;
             }
             loop_->Add(key);
           }});
}

JobMonitor::~JobMonitor() { Stop(); }

void JobMonitor::Start() {
  informer_.Start();
  loop_->Start();
}

void JobMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  informer_.Stop();
  loop_->Stop();
}

absl::Status JobMonitor::Process(const std::string& key) {
  kube::ObjectPtr job = informer_.store().Get(key);
  bool deleted = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    if (now - last_housekeeping_ >= options_.housekeeping_interval) {
      last_housekeeping_ = now;
      PruneLocked(now);
    }
    const ActiveCountUpdate active_count(*this, key);
    if (job == nullptr) {
      const auto tombstone = tombstones_.find(key);
      if (tombstone == tombstones_.end()) return absl::OkStatus();
      job = tombstone->second;
      deleted = true;
    } else {
      tombstones_.erase(key);
      launched_.erase(key);
    }
    Tracked& tracked = tracked_[key];
    const std::string uid = Metadata(*job, "uid");
    if (tracked.uid != uid) {
      tracked = Tracked();  // first sight, or a new Job under the name of a deleted one
      tracked.uid = uid;
    }
    if (tracked.finished) {
      if (deleted) {
        tracked.deleted_at = tracked.deleted_at.value_or(now);
        tombstones_.erase(key);
      }
      return absl::OkStatus();
    }
    const JobState state = StateOfJob(*job);
    if (!IsFinished(state)) {
      if (deleted) {
        pb::JobObservation vanished = BaseObservation(*job);
        vanished.set_phase(pb::JOB_PHASE_VANISHED);
        *vanished.mutable_finished_at() = ToTimestamp(now);
        vanished.set_message("the Job was deleted before it finished (by hand, or with its namespace)");
        tracked.finished = true;
        tracked.deleted_at = now;
        tombstones_.erase(key);
        PublishLocked(tracked, std::move(vanished));
      } else {
        tracked.seen_unfinished = true;
        if (state == JobState::kRunning && tracked.latest.phase() == pb::JOB_PHASE_UNSPECIFIED) {
          PublishLocked(tracked, BaseObservation(*job));
        }
      }
      return absl::OkStatus();
    }
  }

  // Finished: read pods and logs without holding the lock.
  ASSIGN_OR_RETURN(pb::JobObservation concluded, Conclude(*job, deleted));
  bool trim = false;
  {
    absl::MutexLock lock(&mu_);
    const ActiveCountUpdate active_count(*this, key);
    Tracked& tracked = tracked_[key];
    if (!tracked.finished) {
      tracked.finished = true;
      trim = !deleted && concluded.kind() == pb::JOB_KIND_DRIFT_CHECK;
      if (tracked.seen_unfinished) ConvergerMetrics::Get().JobFinished(concluded);
      PublishLocked(tracked, std::move(concluded));
    }
    if (deleted) {
      tracked.deleted_at = tracked.deleted_at.value_or(clock_.Now());
      tombstones_.erase(key);
    }
  }
  if (trim) TrimDriftChecks(*job);
  return absl::OkStatus();
}

void JobMonitor::TrimDriftChecks(const json& job) {
  if (options_.drift_checks_kept <= 0) return;
  const std::string bundle_namespace = Label(job, hub::kLabelBundleNamespace);
  const std::string bundle_name = Label(job, hub::kLabelBundle);
  struct Check {
    std::string created;
    std::string name;
    std::string ns;
    std::string uid;
    bool published = false;
  };
  std::vector<Check> checks;
  {
    absl::MutexLock lock(&mu_);
    for (const kube::ObjectPtr& other : informer_.store().ListByLabel(hub::kLabelBundle, bundle_name)) {
      if (Label(*other, hub::kLabelBundleNamespace) != bundle_namespace ||
          Label(*other, hub::kLabelBundle) != bundle_name ||
          Label(*other, hub::kLabelBundleUid) != Label(job, hub::kLabelBundleUid) ||
          Label(*other, hub::kLabelJobKind) != hub::JobKindLabel(pb::JOB_KIND_DRIFT_CHECK)) {
        continue;
      }
      // Only Jobs whose result went out: the newest N are kept whatever their state.
      const auto tracked = tracked_.find(kube::ObjectKey(*other));
      const bool published = tracked != tracked_.end() && tracked->second.finished &&
                             tracked->second.uid == Metadata(*other, "uid");
      checks.push_back({.created = Metadata(*other, "creationTimestamp"),
                        .name = Metadata(*other, "name"),
                        .ns = Metadata(*other, "namespace"),
                        .uid = Metadata(*other, "uid"),
                        .published = published});
    }
  }
  if (checks.size() <= static_cast<size_t>(options_.drift_checks_kept)) return;
  // RFC 3339 in UTC sorts as text; the name breaks ties within a second.
  std::sort(checks.begin(), checks.end(), [](const Check& a, const Check& b) {
    return std::tie(a.created, a.name) > std::tie(b.created, b.name);
  });
  for (size_t i = static_cast<size_t>(options_.drift_checks_kept); i < checks.size(); ++i) {
    if (!checks[i].published) continue;  // its result is not out yet
    // By uid: a Job re-created under the name since is not this one.
    const absl::Status deleted = client_->Delete(kube::resources::kJobs, checks[i].ns, checks[i].name,
                                                 {.propagation_policy = "Background", .precondition_uid = checks[i].uid});
    if (!deleted.ok() && !absl::IsNotFound(deleted)) {
      common::LogWarning("deleting an old drift-check Job failed; the next check tries again",
                         {{"job", kube::ObjectKey(checks[i].ns, checks[i].name)}, {"error", deleted.ToString()}});
    } else if (deleted.ok()) {
      common::LogInfo("deleted an old drift-check Job",
                      {{"job", kube::ObjectKey(checks[i].ns, checks[i].name)},
                       {"kept", options_.drift_checks_kept}});
    }
  }
}

absl::StatusOr<pb::JobObservation> JobMonitor::Conclude(const json& job, bool deleted) {
  const std::string ns = Metadata(job, "namespace");
  const std::string name = Metadata(job, "name");
  // By the Job's uid, not its name: a Job re-created under the same name has other pods.
  absl::StatusOr<kube::ListResult> pods = client_->List(
      kube::resources::kPods, ns, {.label_selector = absl::StrCat("controller-uid=", Metadata(job, "uid"))});
  if (!pods.ok() && !deleted) {
    return common::WithContext(pods.status(), absl::StrCat("listing pods of Job ", ns, "/", name));
  }
  const std::optional<PodOutcome> outcome =
      WerfContainerOutcome(pods.ok() ? pods->items : std::vector<json>());
  LogTail log;
  if (!outcome) {
    log.unavailable_reason = "the Job has no pod";
  } else {
    absl::StatusOr<std::string> text =
        client_->PodLogs(ns, outcome->pod_name, kWerfContainer, kLogTailLines, kLogFetchBytes);
    if (text.ok()) {
      log.text = TailOfLog(*text);
    } else {
      log.unavailable_reason = std::string(text.status().message().substr(0, kMaxReasonBytes));
    }
  }
  pb::JobObservation observation = FinishedObservation(job, outcome, log);
  // The per-Job Secret (same name, owned by the Job) says what was mounted from Secrets.
  if (absl::StatusOr<json> secret = client_->Get(kube::resources::kSecrets, ns, name); secret.ok()) {
    RedactObservation(observation, SecretStringsOfJobSecret(*secret));
  } else if (JobMountsSecret(job, name)) {
    // Fail closed: without it nobody knows what to redact.
    WithholdPodOutput(observation, secret.status().message().substr(0, kMaxReasonBytes));
  }
  return observation;
}

void JobMonitor::PublishLocked(Tracked& tracked, pb::JobObservation observation) {
  tracked.latest = std::move(observation);
  const pb::JobObservation& latest = tracked.latest;
  common::LogInfo("werf Job observed", {{"bundle", latest.bundle().name()},
                                        {"namespace", latest.bundle().namespace_()},
                                        {"job", latest.job_name()},
                                        {"job_namespace", latest.job_namespace()},
                                        {"phase", pb::JobPhase_Name(latest.phase())},
                                        {"exit_code", latest.exit_code()},
                                        {"message", latest.message()}});
  if (publish_) publish_(latest);
}

void JobMonitor::PruneLocked(absl::Time now) {
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    const bool expired = it->second.deleted_at && now - *it->second.deleted_at > options_.keep_deleted_for;
    it = expired ? tracked_.erase(it) : std::next(it);
  }
  for (auto it = launched_.begin(); it != launched_.end();) {
    it = now - it->second.at > options_.launched_grace ? launched_.erase(it) : std::next(it);
  }
}

bool JobMonitor::ActiveLocked(const std::string& key) const {
  auto it = tracked_.find(key);
  return it != tracked_.end() && it->second.seen_unfinished && !it->second.finished;
}

JobMonitor::ActiveCountUpdate::ActiveCountUpdate(JobMonitor& monitor, std::string key)
    : monitor_(monitor), key_(std::move(key)), was_active_(monitor.ActiveLocked(key_)) {}

JobMonitor::ActiveCountUpdate::~ActiveCountUpdate() {
  const bool active = monitor_.ActiveLocked(key_);
  if (active == was_active_) return;
  monitor_.active_jobs_ += active ? 1 : -1;
  ConvergerMetrics::Get().SetActiveJobs(monitor_.active_jobs_);
}

void JobMonitor::ForEachLatest(const std::function<void(const pb::JobObservation&)>& visit) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [key, tracked] : tracked_) {
    if (tracked.latest.phase() != pb::JOB_PHASE_UNSPECIFIED) visit(tracked.latest);
  }
}

std::vector<pb::JobObservation> JobMonitor::Snapshot() const {
  std::vector<pb::JobObservation> observations;
  ForEachLatest([&](const pb::JobObservation& observation) { observations.push_back(observation); });
  std::sort(observations.begin(), observations.end(),
            [](const pb::JobObservation& a, const pb::JobObservation& b) {
              return std::tie(a.job_namespace(), a.job_name()) < std::tie(b.job_namespace(), b.job_name());
            });
  return observations;
}

std::optional<pb::JobObservation> JobMonitor::Latest(absl::string_view ns, absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  const auto it = tracked_.find(kube::ObjectKey(ns, name));
  if (it == tracked_.end() || it->second.latest.phase() == pb::JOB_PHASE_UNSPECIFIED) return std::nullopt;
  return it->second.latest;
}

std::vector<std::string> JobMonitor::UnfinishedJobsOf(absl::string_view bundle_namespace,
                                                      absl::string_view bundle_name) const {
  std::vector<std::string> keys;
  for (const kube::ObjectPtr& job :
       informer_.store().ListByLabel(hub::kLabelBundle, hub::LabelValue(bundle_name))) {
    if (SameBundle(*job, bundle_namespace, bundle_name) && !IsFinished(StateOfJob(*job))) {
      keys.push_back(kube::ObjectKey(*job));
    }
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  for (const auto& [key, launched] : launched_) {
    if (launched.bundle_namespace == bundle_namespace && launched.bundle_name == bundle_name &&
        now - launched.at <= options_.launched_grace && informer_.store().Get(key) == nullptr &&
        !tombstones_.contains(key)) {
      keys.push_back(key);
    }
  }
  return keys;
}

int JobMonitor::UnfinishedJobs() const {
  int count = 0;
  for (const kube::ObjectPtr& job : informer_.store().List()) count += !IsFinished(StateOfJob(*job));
  absl::MutexLock lock(&mu_);
  for (const auto& [key, launched] : launched_) count += informer_.store().Get(key) == nullptr;
  return count;
}

void JobMonitor::NoteLaunched(const pb::ConvergeRequest& request, absl::string_view job_name) {
  const std::string key = kube::ObjectKey(request.target_namespace(), job_name);
  if (informer_.store().Get(key) != nullptr) {
    absl::MutexLock lock(&mu_);
    if (auto tracked = tracked_.find(key); tracked != tracked_.end() && tracked->second.dormant) {
      // Adopted after a restart: the controller still waits for this result.
      tracked->second.dormant = false;
      tracked->second.finished = false;
      loop_->Add(key);
    }
    return;
  }
  absl::MutexLock lock(&mu_);
  launched_[key] = {.bundle_namespace = request.bundle().namespace_(),
                    .bundle_name = request.bundle().name(),
                    .at = clock_.Now()};
}

}  // namespace werf::converger
