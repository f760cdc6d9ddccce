// The WerfBundle controller: an informer feeds a rate-limited workqueue, workers
// reconcile one bundle at a time (never the same bundle on two workers), and the
// bundle's status is the only state of record it writes. Registry facts and Job
// results arrive from the hub's workers and re-enqueue the bundles they concern.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/kube/event_recorder.h"
#include "libs/kube/informer.h"
#include "libs/kube/rest_client.h"
#include "libs/kube/workqueue.h"
#include "services/controller/bundle_spec.h"
#include "services/controller/hub_service.h"
#include "services/controller/registry_state.h"

namespace werf::controller {

struct ControllerOptions {
  std::string watch_namespace{};  // empty: all namespaces
  int workers = 2;
  // Retry delay after the n-th consecutive failed converge: base * 2^(n-1), capped.
  absl::Duration failure_backoff_base = absl::Seconds(30);
  absl::Duration failure_backoff_max = absl::Minutes(10);
  // Consecutive failures (converges or polls) that turn the phase to Failed.
  int failures_before_failed = 5;
  // How often a bundle waiting on something outside the API (a missing
  // ServiceAccount, Secret...) is looked at again.
  absl::Duration recheck_interval = absl::Seconds(15);
  // A Job named in status.activeJob that does not exist after this long, and
  // about which no worker reported anything, is taken as vanished.
  absl::Duration vanished_job_grace = absl::Minutes(1);
  std::string identity{};  // for Events' reportingInstance
};

class Controller {
 public:
  Controller(std::shared_ptr<kube::RestClient> client, ControllerOptions options);
  ~Controller();

  // The hub this controller feeds; create it with Controller::HubCallbacks().
  void SetHub(HubServiceImpl* hub) { hub_ = hub; }
  HubCallbacks MakeHubCallbacks();

  void Start();
  void Stop();
  bool Synced() const { return bundles_ != nullptr && bundles_->HasSynced(); }

  // Status writes so far (tests assert there is no hot loop).
  int64_t status_writes() const { return status_writes_.load(); }

 private:
  struct Outcome {
    absl::Duration requeue_after = absl::ZeroDuration();
  };

  void RunWorker();
  absl::StatusOr<Outcome> Reconcile(const std::string& key);
  absl::StatusOr<Outcome> Finalize(const nlohmann::json& bundle);
  absl::Status EnsureFinalizer(const nlohmann::json& bundle);
  // Missing ServiceAccount, Secret or ConfigMap, as a message naming it and the fix.
  std::optional<std::string> MissingReference(const BundleSpec& spec);
  // Hash of the resolved values content, in order (missing optional sources skipped).
  absl::StatusOr<std::string> ValuesHash(const BundleSpec& spec);
  void Track(const std::string& bundle_key, const BundleSpec& spec,
             const std::string& watched_tag, bool poll_now);
  void Untrack(const std::string& bundle_key);
  void PushRepositories();
  // Merges finished Job observations for this bundle into `status`; returns the
  // Events to record (type, reason, message).
  std::vector<std::array<std::string, 3>> ApplyJobResults(const BundleSpec& spec,
                                                          nlohmann::json& status);
  absl::Status WriteStatus(const nlohmann::json& bundle, const nlohmann::json& status);
  void OnRepository(const pb::RepositoryObservation& observation);
  void OnJob(const pb::JobObservation& observation);
  void OnRejected(const pb::ConvergeRequest& request, const std::string& message);
  void EnqueueBundlesOfRepository(const std::string& key);
  void UpdatePhaseGauges();

  const std::shared_ptr<kube::RestClient> client_;
  const ControllerOptions options_;
  HubServiceImpl* hub_ = nullptr;
  std::unique_ptr<kube::Informer> bundles_;
  std::unique_ptr<kube::WorkQueue> queue_;
  std::unique_ptr<kube::EventRecorder> events_;
  RegistryStates registry_;
  std::vector<std::thread> workers_;
  std::thread gauges_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> status_writes_{0};

  mutable absl::Mutex mu_;
  // Bundle key -> its repository demand.
  struct Demand {
    std::string repository_key;
    pb::TrackRepository track;
  };
  std::map<std::string, Demand> demands_ ABSL_GUARDED_BY(mu_);
  // Finished Jobs not yet merged into their bundle's status, by Job name.
  std::map<std::string, pb::JobObservation> job_results_ ABSL_GUARDED_BY(mu_);
  // Converges a worker refused, by bundle key (the message goes into the status).
  std::map<std::string, std::string> rejections_ ABSL_GUARDED_BY(mu_);
};

// "repository", plus the credential identity, so bundles share a schedule only
// when they would make the very same requests.
std::string RepositoryKey(const BundleSpec& spec);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_H_
