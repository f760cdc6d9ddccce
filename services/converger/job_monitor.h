// Watches every werf Job (label app.kubernetes.io/managed-by=werf-operator) and keeps
// the latest JobObservation of each, publishing the ones the controller must hear:
//   RUNNING    once a Job has started (status.startTime), or at once for a Job already
//              running when this process starts;
//   SUCCEEDED / FAILED  when it finishes, with exit code, deploy report, log tail;
//   VANISHED   when a Job disappears before it finished (deleted by hand).
// A finished Job that is later deleted (ttlSecondsAfterFinished) is forgotten quietly.
// Jobs already finished when this process starts stay dormant: concluding one costs
// three API requests (pods, log, Secret) and a restart finds thousands retained, whose
// results the controller has mostly recorded. The controller asks again for every Job
// it still waits on (it re-sends the ConvergeRequest when a converger goes away), and
// NoteLaunched on that adoption wakes the Job: it is concluded and published at once.
// Finished drift checks beyond the newest `drift_checks_kept` of a bundle are deleted
// once their result was published: checks every few minutes would otherwise keep
// dozens of Jobs and pods per bundle until their TTL.
//
// Informer handlers only enqueue keys; worker threads do the API calls (pods, logs),
// so a slow log request never stalls the watch.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_JOB_MONITOR_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_JOB_MONITOR_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/kube/informer.h"
#include "libs/kube/rest_client.h"
#include "libs/kube/controller_loop.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

namespace pb = ::werf::operator_::v1;

struct JobMonitorOptions {
  // Empty: all namespaces.
  std::string watch_namespace{};
  int workers = 2;
  // How long a deleted Job's last observation is kept (and re-sent on reconnect), so a
  // controller that was away when it vanished still hears of it.
  absl::Duration keep_deleted_for = absl::Hours(1);
  // A Job this process created counts as running for deduplication until the informer
  // shows it, but no longer than this (it may have been deleted at once).
  absl::Duration launched_grace = absl::Minutes(2);
  // Housekeeping (expired tombstones and launches) looks at every tracked Job,
  // so it runs at most this often rather than once per event.
  absl::Duration housekeeping_interval = absl::Seconds(1);
  // Finished drift-check Jobs kept per bundle (the newest); 0 keeps all until their TTL.
  int drift_checks_kept = 3;
  // Decides the expiries above and the housekeeping interval, and drives the Job
  // informer and the loop's queue; defaults to common::RealClock(). Must outlive the monitor.
  common::Clock* clock = nullptr;
};

class JobMonitor {
 public:
  // Receives each observation to send to the controller. Called with the monitor's lock
  // held, so that it is ordered with ForEachLatest: it must only enqueue (HubWorker::Send)
  // and never call back into the monitor.
  using Publisher = std::function<void(const pb::JobObservation&)>;

  static absl::StatusOr<std::unique_ptr<JobMonitor>> Create(std::shared_ptr<kube::RestClient> client,
                                                            JobMonitorOptions options,
                                                            Publisher publish);
  ~JobMonitor();
  JobMonitor(const JobMonitor&) = delete;
  JobMonitor& operator=(const JobMonitor&) = delete;

  void Start();
  void Stop();
  bool HasSynced() const { return informer_.HasSynced(); }
  bool WaitForSync(absl::Duration timeout) const { return informer_.WaitForSync(timeout); }

  // Calls `visit` with the latest observation of every Job that has one, ordered by
  // namespace and name, under the lock that also orders publishing (so a snapshot sent
  // on reconnect never overtakes a newer observation). Same rules as the Publisher.
  void ForEachLatest(const std::function<void(const pb::JobObservation&)>& visit) const;
  std::vector<pb::JobObservation> Snapshot() const;
  std::optional<pb::JobObservation> Latest(absl::string_view ns, absl::string_view name) const;

  // "namespace/name" of the bundle's Jobs that have not finished: from the informer's
  // cache, plus Jobs NoteLaunched but not yet seen there.
  std::vector<std::string> UnfinishedJobsOf(absl::string_view bundle_namespace,
                                            absl::string_view bundle_name) const;
  int UnfinishedJobs() const;
  // Tells the monitor about a Job this process just created or adopted; a dormant
  // finished Job is concluded and published now.
  void NoteLaunched(const pb::ConvergeRequest& request, absl::string_view job_name);

 private:
  struct Tracked {
    // Tells a Job from a later one of the same name.
    std::string uid;
    // Phase UNSPECIFIED until something was published.
    pb::JobObservation latest;
    // This process saw the Job unfinished, so its end is counted in the metrics.
    bool seen_unfinished = false;
    bool finished = false;
    // Finished before this process started, and not concluded until asked for.
    bool dormant = false;
    std::optional<absl::Time> deleted_at;
  };
  struct Launched {
    std::string bundle_namespace;
    std::string bundle_name;
    absl::Time at;
  };

  JobMonitor(std::shared_ptr<kube::RestClient> client, JobMonitorOptions options, Publisher publish);
  absl::Status Process(const std::string& key);
  // The observation of a finished Job, with its pods and log (best effort once deleted).
  absl::StatusOr<pb::JobObservation> Conclude(const nlohmann::json& job, bool deleted);
  void PublishLocked(Tracked& tracked, pb::JobObservation observation) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes the finished drift checks of `job`'s bundle beyond the newest
  // drift_checks_kept, among those whose result was published. Best effort: a failed
  // delete is logged, and the next check of the bundle tries again.
  void TrimDriftChecks(const nlohmann::json& job) ABSL_LOCKS_EXCLUDED(mu_);
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `key` is a Job seen running and not yet finished.
  bool ActiveLocked(const std::string& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps the active-Jobs count (and its gauge) right across one change of one Job's
  // tracking, without counting every tracked Job: declared after the lock, so it runs
  // before the lock is released.
  class ActiveCountUpdate {
   public:
    ActiveCountUpdate(JobMonitor& monitor, std::string key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(monitor.mu_);
    ~ActiveCountUpdate();
    ActiveCountUpdate(const ActiveCountUpdate&) = delete;
    ActiveCountUpdate& operator=(const ActiveCountUpdate&) = delete;

   private:
    JobMonitor& monitor_;
    const std::string key_;
    const bool was_active_;
  };

  const std::shared_ptr<kube::RestClient> client_;
  const JobMonitorOptions options_;
  common::Clock& clock_;
  const Publisher publish_;
  std::unique_ptr<kube::ControllerLoop> loop_;  // set by Create, before any handler runs
  kube::Informer informer_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Tracked> tracked_ ABSL_GUARDED_BY(mu_);
  // Last known state of Jobs deleted since their key was queued.
  absl::flat_hash_map<std::string, kube::ObjectPtr> tombstones_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Launched> launched_ ABSL_GUARDED_BY(mu_);
  absl::Time last_housekeeping_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int active_jobs_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_JOB_MONITOR_H_
