// Who acts: with leader election, the replica holding the Lease; without it, this
// one, at once. The controller's main wires its start and stop into this, so the
// state machine (elected, lost, shutting down) lives in one place with a test.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_LEADERSHIP_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_LEADERSHIP_H_

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "libs/kube/leader_election.h"
#include "libs/kube/rest_client.h"

namespace werf::controller {

struct LeadershipOptions {
  // Null: no election, this replica leads as soon as Start() is called.
  std::shared_ptr<kube::RestClient> client{};
  // Lease and timings; its callbacks are Leadership's own and must be left empty.
  kube::LeaderElectionOptions election{};
  // Called once, when this replica starts leading.
  std::function<void()> on_started_leading{};
  // Called when the Lease is lost while not shutting down. As controller-runtime
  // does, the caller should exit at once, so it cannot act beside the new leader.
  std::function<void()> on_lost{};
};

class Leadership {
 public:
  explicit Leadership(LeadershipOptions options);
  ~Leadership();
  Leadership(const Leadership&) = delete;
  Leadership& operator=(const Leadership&) = delete;

  // Starts campaigning, or leads at once without election. InvalidArgument when
  // the election timings cannot work.
  absl::Status Start();
  // Shutting down, in two steps around the caller stopping its own work:
  // BeginShutdown first, so a Lease lost meanwhile is the shutdown, not a loss
  // (on_lost is not called, and nothing starts leading any more); Stop last, once
  // nothing acts, to stop campaigning and release the Lease for a successor.
  void BeginShutdown();
  void Stop();

  bool leading() const { return leading_.load(); }

 private:
  void StartedLeading();
  void StoppedLeading();

  LeadershipOptions options_;
  std::unique_ptr<kube::LeaderElector> elector_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_LEADERSHIP_H_
