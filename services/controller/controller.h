// The WerfBundle controller: an informer feeds a rate-limited workqueue, workers
// reconcile one bundle at a time (never the same bundle on two workers), and the
// bundle's status is the only state of record it writes.
//
// A reconcile (reconcile.cc) gathers a snapshot (the cached bundle, the registry
// facts of its repository, the cluster objects it refers to, the Job results and
// refusals the hub delivered), asks Decide() (decide.h) what to do, writes the
// status, and only then applies the decision's effects and drops the observations
// it consumed. Registry facts and Job results arrive from the hub's workers and
// re-enqueue the bundles they concern.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/hub/hub_service.h"
#include "libs/kube/event_recorder.h"
#include "libs/kube/informer.h"
#include "libs/kube/rest_client.h"
#include "libs/kube/controller_loop.h"
#include "services/controller/bundle_spec.h"
#include "services/controller/decide.h"
#include "services/controller/notifier.h"
#include "services/controller/reference_cache.h"
#include "services/controller/registry_state.h"
#include "services/controller/webhook_router.h"

namespace werf::controller {

struct ControllerOptions {
  std::string watch_namespace{};  // empty: all namespaces
  int workers = 2;
  DecideOptions decide{};
  // Observations of Jobs that no bundle's status names are kept this long (a result
  // may overtake the informer's copy of the status write that asked for its Job),
  // then dropped.
  absl::Duration unmatched_observation_ttl = absl::Minutes(2);
  std::string identity{};  // for Events' reportingInstance
  // Keys the values digests (values_key.h); empty: plain SHA-256 (tests only).
  std::string values_key{};
  // Webhook events for one repository coming closer than this to each other are one
  // poll (and at most webhook_max_delay after the first; see webhook_router.h).
  absl::Duration webhook_quiet = absl::Milliseconds(500);
  absl::Duration webhook_max_delay = absl::Seconds(5);
  // Deploy outcomes to the bundles' notification sinks (notifier.h).
  NotifierOptions notifier{};
  // The clock of every decision by time: the reconcile's "now", how long unmatched
  // observations are kept, and (unless their own options name one) the notifier's,
  // the webhook router's, the workqueue's, the bundle informer's and the event
  // recorder's. Defaults to common::RealClock(). Must outlive the controller.
  common::Clock* clock = nullptr;
};

class Controller {
 public:
  // InvalidArgument for options that cannot work.
  static absl::StatusOr<std::unique_ptr<Controller>> Create(std::shared_ptr<kube::RestClient> client,
                                                            ControllerOptions options);
  ~Controller();

  // The hub this controller feeds, made with the callbacks of MakeHubCallbacks().
  void SetHub(hub::HubServiceImpl* hub) { hub_ = hub; }
  hub::HubCallbacks MakeHubCallbacks();

  // Starts the caches; once they have synced, starts the workers and calls `on_synced`.
  void Start(std::function<void()> on_synced = {});
  void Stop();
  bool Synced() const { return synced_.load(); }

  // Status writes so far (tests assert there is no hot loop).
  int64_t status_writes() const { return status_writes_.load(); }

 private:
  Controller(std::shared_ptr<kube::RestClient> client, ControllerOptions options);

  struct Outcome {
    absl::Duration requeue_after = absl::ZeroDuration();
  };
  // A Job observation or refusal waiting for its bundle's reconcile.
  struct Pending {
    std::string bundle_key;
    absl::Time received_at;
    pb::JobObservation result;  // empty for a refusal
    std::string refusal;        // empty for a result
  };

  // One key for the loop: Reconcile, with its metrics and log line.
  absl::StatusOr<absl::Duration> Process(const std::string& key);
  absl::StatusOr<Outcome> Reconcile(const std::string& key);
  Observed Gather(const std::string& key, const nlohmann::json& bundle);
  void ApplyEffects(const std::string& key, const nlohmann::json& bundle, const Observed& observed,
                    Decision& decision);
  absl::Status Finalize(const nlohmann::json& bundle);
  absl::Status EnsureFinalizer(const nlohmann::json& bundle, bool* added);
  absl::Status WriteStatus(const nlohmann::json& bundle, const nlohmann::json& status);
  // Drops everything kept for a bundle that is gone.
  void Forget(const std::string& key);
  void SetDemand(const std::string& bundle_key, std::optional<pb::TrackRepository> track);
  // Drops `bundle_key` from the bundles of `repository_key`.
  void UnindexDemandLocked(const std::string& bundle_key, const std::string& repository_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What the hub is told to poll for one repository key: the demands of its bundles
  // merged; nullopt when no bundle wants it.
  std::optional<pb::TrackRepository> MergedTrackLocked(const std::string& repository_key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexReferences(const std::string& bundle_key, std::vector<std::string> references);

  void OnRepository(const pb::RepositoryObservation& observation);
  void OnRepositoryEvent(const pb::RepositoryEvent& event);
  void OnJob(const pb::JobObservation& observation);
  void OnRejected(const pb::ConvergeRequest& request, const std::string& message);
  void OnWorkersChanged(pb::WorkerKind kind, bool connected);
  void OnReferenceChanged(const std::string& reference_key);
  void UpdatePhaseGauges();

  const std::shared_ptr<kube::RestClient> client_;
  const ControllerOptions options_;
  common::Clock& clock_;
  hub::HubServiceImpl* hub_ = nullptr;
  std::unique_ptr<kube::Informer> bundles_;
  std::unique_ptr<ReferenceCache> references_;
  std::unique_ptr<kube::ControllerLoop> loop_;  // set by Create
  std::unique_ptr<kube::EventRecorder> events_;
  std::unique_ptr<WebhookRouter> webhooks_;
  std::unique_ptr<Notifier> notifier_;
  RegistryStates registry_;
  std::thread starter_;
  std::thread gauges_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> status_writes_{0};

  mutable absl::Mutex mu_;
  struct Demand {
    std::string repository_key;
    pb::TrackRepository track;
    // registry/path in canonical form (libs/oci/reference.h), as webhook events name it.
    std::string canonical_repository;
  };
  // Bundle key -> its repository demand.
  std::map<std::string, Demand> demands_ ABSL_GUARDED_BY(mu_);
  // Repository key -> the bundles demanding it (the index of demands_ by repository).
  std::map<std::string, std::set<std::string>> bundles_by_repository_ ABSL_GUARDED_BY(mu_);
  // Finished Jobs and refusals not yet merged, by Job name.
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  // Bundle key -> names of its Jobs a converger has reported to this controller
  // (the active one needs no resend). Trimmed to the active Job on each reconcile.
  std::map<std::string, std::set<std::string>> reported_jobs_ ABSL_GUARDED_BY(mu_);
  // Reference key -> bundle keys that refer to it, and the inverse.
  std::map<std::string, std::set<std::string>> bundles_by_reference_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> references_by_bundle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_CONTROLLER_H_
