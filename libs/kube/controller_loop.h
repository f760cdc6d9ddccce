// A rate-limited workqueue and the worker threads that drain it, as
// controller-runtime's Controller runs them: a key is processed by one worker at
// a time; an error retries it with the queue's per-key exponential backoff; success
// forgets its failures and, when asked, looks at it again after a delay. The
// controller's bundle loop and the converger's Job monitor are both one of these.
//
//   ASSIGN_OR_RETURN(auto loop, ControllerLoop::Create({.name = "jobs", .workers = 2},
//                    [](const std::string& key) -> absl::StatusOr<absl::Duration> { ... }));
//   informer.AddHandlers({.on_add = [&](auto& o) { loop->Add(ObjectKey(*o)); }});
//   loop->Start();
//   ...
//   loop->Stop();  // lets the keys already waiting finish, then joins the workers
#ifndef WERF_OPERATOR_LIBS_KUBE_CONTROLLER_LOOP_H_
#define WERF_OPERATOR_LIBS_KUBE_CONTROLLER_LOOP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/kube/workqueue.h"

namespace werf::kube {

struct ControllerLoopOptions {
  // Names the queue's metrics (werf_operator_workqueue_*{name="..."}).
  std::string name{};
  int workers = 1;
  // When set, the queue registers its metrics here; must outlive the loop.
  prometheus::Registry* metrics_registry = nullptr;
  RateLimiterOptions rate_limits{};
  // The queue's clock (delays, backoff); defaults to common::RealClock(). Must
  // outlive the loop.
  common::Clock* clock = nullptr;
};

class ControllerLoop {
 public:
  // Processes one key. An error retries the key with backoff (the function logs it
  // as it sees fit); a positive duration looks at the key again after it.
  using Process = std::function<absl::StatusOr<absl::Duration>(const std::string& key)>;

  // InvalidArgument for fewer than one worker or bad rate limits.
  static absl::StatusOr<std::unique_ptr<ControllerLoop>> Create(ControllerLoopOptions options, Process process);
  ~ControllerLoop();
  ControllerLoop(const ControllerLoop&) = delete;
  ControllerLoop& operator=(const ControllerLoop&) = delete;

  // Keys may be added before Start; they wait until the workers run.
  void Add(absl::string_view key) { queue_->Add(key); }
  void AddAfter(absl::string_view key, absl::Duration delay) { queue_->AddAfter(key, delay); }

  // Starts the workers. Once only; later calls do nothing.
  void Start();
  // Stops taking keys, lets the workers finish those already waiting or in hand,
  // and joins them. Idempotent; also run by the destructor.
  void Stop();

  // Keys waiting; for gauges and tests.
  int Len() { return queue_->Len(); }

 private:
  ControllerLoop(ControllerLoopOptions options, Process process, std::unique_ptr<WorkQueue> queue);
  void RunWorker();

  const ControllerLoopOptions options_;
  const Process process_;
  const std::unique_ptr<WorkQueue> queue_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_CONTROLLER_LOOP_H_
