// The poller: takes repository assignments from the controller's hub and polls
// each on its own schedule (jittered, backed off on failure), with a global cap
// on concurrent registry requests and a per-registry request budget, reporting
// only changes back to the hub.
#ifndef WERF_OPERATOR_SERVICES_POLLER_POLLER_H_
#define WERF_OPERATOR_SERVICES_POLLER_POLLER_H_

#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/token_bucket.h"
#include "libs/hub/hub_worker.h"
#include "libs/oci/registry_client.h"
#include "libs/hub/registry_access_reader.h"
#include "services/poller/repository_tracker.h"
#include "werf/operator/v1/poller_service.pb.h"

namespace werf::poller {

struct PollerOptions {
  std::string controller_address{};
  std::string version{};
  // Registry requests in flight at once, across all repositories.
  int max_concurrent_polls = 10;
  // Per registry host: polls per second on average, and the burst allowed.
  double registry_qps = 20;
  int registry_burst = 40;
  // Retry delay after a failed poll, doubling per failure up to the max.
  absl::Duration failure_backoff = absl::Seconds(30);
  absl::Duration failure_backoff_max = absl::Minutes(8);
  // Schedules the polls and the per-registry budget (and the hub stream's
  // heartbeats and reconnects); defaults to common::RealClock(). Must outlive the poller.
  common::Clock* clock = nullptr;
};

class Poller {
 public:
  Poller(PollerOptions options, std::unique_ptr<hub::RegistryAccessReader> access_reader,
         std::unique_ptr<oci::RegistryClient> registry);
  ~Poller();

  absl::Status Start();
  void Stop();

  bool connected() const { return hub_ != nullptr && hub_->connected(); }
  // Passes a webhook event to the hub (UNAVAILABLE while there is no stream).
  absl::Status ForwardEvent(const pb::RepositoryEvent& event);
  ::werf::operator_::v1::ListAssignmentsResponse Snapshot() const;

 private:
  struct Entry {
    std::unique_ptr<RepositoryTracker> tracker;
    absl::Time next_poll = absl::InfinitePast();
    bool in_flight = false;
    uint64_t generation = 0;  // bumped on every (re)assignment
    // An assignment update that arrived while a poll was in flight.
    std::optional<pb::TrackRepository> pending_update;
  };

  void OnConnected();
  void OnMessage(const pb::ConnectResponse& message);
  // A registry answered with a pause: the hub passes it on to every poller.
  void SharePause(const oci::RegistryPause& pause);
  void Track(const pb::TrackRepository& track);
  void Untrack(const std::string& key);
  void ScheduleLocked(const std::string& key, Entry& entry, absl::Time when)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunPollLoop();
  common::TokenBucket& LimiterFor(const std::string& repository) ABSL_LOCKS_EXCLUDED(mu_);

  const PollerOptions options_;
  common::Clock& clock_;
  const std::unique_ptr<hub::RegistryAccessReader> access_reader_;
  const std::unique_ptr<oci::RegistryClient> registry_;
  std::unique_ptr<hub::HubWorker> hub_;
  std::vector<std::thread> threads_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Signalled on Stop and whenever a poll is scheduled, so an idle poll thread
  // looks at the schedule again.
  absl::CondVar wake_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, std::string>> schedule_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<common::TokenBucket>> limiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_POLLER_H_
