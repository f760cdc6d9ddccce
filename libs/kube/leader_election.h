// Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm:
// a candidate takes the lease only when its holder has not renewed it for a full
// lease duration as observed by the candidate's own clock (so clock skew between
// nodes does not matter); the leader renews every retry period and steps down
// when it has not managed to renew within the renew deadline, which is shorter
// than the lease duration, so it stops leading before anyone else can start.
#ifndef WERF_OPERATOR_LIBS_KUBE_LEADER_ELECTION_H_
#define WERF_OPERATOR_LIBS_KUBE_LEADER_ELECTION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/kube/rest_client.h"

namespace werf::kube {

struct LeaderElectionOptions {
  std::string lease_namespace{};
  std::string lease_name{};
  std::string identity{};  // unique per process, e.g. pod name + random suffix
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  // Give the lease up on Stop() so a successor need not wait out the lease.
  bool release_on_stop = true;
  // Called on the elector's thread; keep them short (start or stop work elsewhere).
  std::function<void()> on_started_leading{};
  std::function<void()> on_stopped_leading{};
  std::function<void(const std::string& leader)> on_new_leader{};
  // Decides expiry, renew deadlines and retry waits; defaults to
  // common::RealClock(). Must outlive the elector.
  common::Clock* clock = nullptr;
};

class LeaderElector {
 public:
  LeaderElector(std::shared_ptr<RestClient> client, LeaderElectionOptions options);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // InvalidArgument when the timings break renew_deadline < lease_duration, etc.
  absl::Status Start();
  // Stops campaigning; a leader stops leading and releases the lease.
  void Stop();

  bool IsLeader() const { return leading_.load(); }
  std::string Leader() const;

 private:
  void Run();
  // One attempt to acquire or renew. True when we hold the lease afterwards.
  bool TryAcquireOrRenew();
  void Release();
  bool SleepUnlessStopped(absl::Duration duration);
  void SetLeading(bool leading);

  const std::shared_ptr<RestClient> client_;
  const LeaderElectionOptions options_;
  common::Clock& clock_;
  std::atomic<bool> leading_{false};
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar stopped_cv_;  // signalled when stopped_ is set
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);
  // The lease's spec as last seen, and when we first saw it so: the local clock
  // decides expiry, never the lease's own timestamps.
  std::string observed_record_ ABSL_GUARDED_BY(mu_);
  absl::Time observed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_LEADER_ELECTION_H_
