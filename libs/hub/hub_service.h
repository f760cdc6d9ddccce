// The hub that pollers and convergers dial (proto/werf/operator/v1/hub.proto).
//
// It keeps one stream per live worker. Repositories are assigned to pollers by
// rendezvous hashing over the connected pollers, so a poller joining or leaving
// moves only its share, and a dropped stream frees its work at once. Converge
// requests go to a converger, wait for an acknowledgement, and are sent again
// (to any converger) when the stream that took them ends before the Job was
// observed; Job names are deterministic, so a resend never duplicates a Job.
// A registry's request to pause (429 and friends) reported by one poller is
// passed to every poller, since the registry's budget is not per poller.
// Only the leading controller accepts streams.
//
// The controller serves it (services/controller/main.cc); it lives here, beside the
// workers' side (hub_worker.h), so that the poller's hub test and benchmark run the
// real hub without linking a service's library.
#ifndef WERF_OPERATOR_LIBS_HUB_HUB_SERVICE_H_
#define WERF_OPERATOR_LIBS_HUB_HUB_SERVICE_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "werf/operator/v1/hub.grpc.pb.h"

namespace werf::hub {

namespace pb = ::werf::operator_::v1;

struct HubCallbacks {
  std::function<void(const pb::RepositoryObservation&)> on_repository{};
  std::function<void(const pb::JobObservation&)> on_job{};
  // A converger refused a request (e.g. another Job of the bundle runs).
  std::function<void(const pb::ConvergeRequest&, const std::string& message)> on_rejected{};
  // A poller's webhook receiver reported a changed repository.
  std::function<void(const pb::RepositoryEvent&)> on_repository_event{};
  // A worker's stream was welcomed (connected) or ended.
  std::function<void(pb::WorkerKind kind, bool connected)> on_workers_changed{};
};

// The longest registry pause the hub passes on (as the registry client caps Retry-After).
inline constexpr absl::Duration kMaxRegistryPause = absl::Hours(6);

class HubServiceImpl final : public pb::HubService::Service {
 public:
  struct Options {
    std::string controller_id{};
    absl::Duration heartbeat_interval = absl::Seconds(5);
    // A converge not acknowledged within this is sent again.
    absl::Duration ack_timeout = absl::Seconds(30);
  };

  // Every time the hub reads (heartbeats, silence, acknowledgement timeouts, registry
  // pauses) comes from `clock`, so tests can move it. The ticker that acts on it
  // wakes once a second of real time.
  HubServiceImpl(Options options, HubCallbacks callbacks, common::Clock& clock = common::RealClock());
  ~HubServiceImpl() override;

  grpc::Status Connect(grpc::ServerContext* context,
                       grpc::ServerReaderWriter<pb::ConnectResponse, pb::ConnectRequest>* stream)
      override;

  // Streams are accepted only while serving (the leader); stopping ends them all.
  void SetServing(bool serving);

  // The full set of repositories that should be polled, by key. Idempotent: only
  // differences reach the pollers. O(repositories); UpdateRepositories is the
  // incremental form.
  void SetRepositories(std::map<std::string, pb::TrackRepository> repositories);
  // Some repositories changed: a value is the new settings (added or changed), nullopt
  // means no longer wanted. Only these keys are touched: a new one is placed by
  // rendezvous hashing over the pollers (O(pollers)), a changed one is resent to its
  // owner, a dropped one untracked. The others keep their owner without being looked at,
  // so a first pass over N bundles costs O(N), not O(N * repositories).
  void UpdateRepositories(std::map<std::string, std::optional<pb::TrackRepository>> changes);
  // Asks the owning poller to poll `key` now.
  void PollNow(const std::string& key);

  // Queues a converge (keyed by job name; a second submit of the same name is a no-op).
  void SubmitConverge(const pb::ConvergeRequest& request);
  // The Job was observed (or the bundle went away): stop resending it.
  void ForgetConverge(const std::string& job_name);
  // The bundle is being deleted: no request of it may reach a converger any more.
  void ForgetConvergesOfBundle(const std::string& bundle_uid);

  int ConnectedWorkers(pb::WorkerKind kind) const;
  // Which poller owns a repository key now ("" when none), for tests and introspection.
  std::string OwnerOf(const std::string& key) const;

 private:
  struct Worker;
  struct PendingConverge {
    pb::ConvergeRequest request;
    // The stream it was sent on (null while unsent). A stream, not a worker id: a
    // worker that reconnects has a new stream with new sequence numbers.
    const Worker* stream = nullptr;
    uint64_t sequence = 0;   // on that stream
    absl::Time sent_at = absl::InfinitePast();
    bool acknowledged = false;
  };

  // Recomputes repository owners and converge placement, sending what changed.
  // The connected pollers' ids, in a stable order.
  std::vector<std::string> PollersLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives `key` to its rendezvous owner among `pollers` (untracking a previous owner).
  void AssignLocked(const std::string& key, const std::vector<std::string>& pollers)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RebalanceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DispatchConvergesLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SendLocked(Worker& worker, pb::ConnectResponse message, uint64_t* sequence = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleMessage(const Worker& worker, const pb::ConnectRequest& message);
  // A poller's registry asked for a pause: remember it and tell the other pollers.
  void SharePauseLocked(const Worker& from, const pb::RegistryThrottle& throttle, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Pauses still in force, for a poller that just connected.
  void SendPausesLocked(Worker& worker, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The live stream of a worker id, or null.
  Worker* LiveWorkerLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunTicker();

  const Options options_;
  const HubCallbacks callbacks_;
  common::Clock& clock_;
  std::thread ticker_;

  mutable absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::shared_ptr<Worker>> workers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, pb::TrackRepository> repositories_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> owners_ ABSL_GUARDED_BY(mu_);  // key -> poller id
  std::map<std::string, PendingConverge> converges_ ABSL_GUARDED_BY(mu_);  // by job name
  struct RegistryPause {
    absl::Time until = absl::InfinitePast();
    pb::RegistryThrottle message;
  };
  // By registry host; expired entries are dropped when the next pause arrives.
  std::map<std::string, RegistryPause> pauses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::hub

#endif  // WERF_OPERATOR_LIBS_HUB_HUB_SERVICE_H_
