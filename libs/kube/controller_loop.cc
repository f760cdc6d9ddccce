#include "libs/kube/controller_loop.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace werf::kube {

absl::StatusOr<std::unique_ptr<ControllerLoop>> ControllerLoop::Create(ControllerLoopOptions options,
                                                                       Process process) {
  if (options.workers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("loop \"", options.name, "\" needs at least one worker, got ", options.workers));
  }
  WorkQueueOptions queue_options;
  queue_options.name = options.name;
  queue_options.metrics_registry = options.metrics_registry;
  queue_options.clock = options.clock;
  queue_options.rate_limits = options.rate_limits;
  absl::StatusOr<std::unique_ptr<WorkQueue>> queue = WorkQueue::Create(std::move(queue_options));
  if (!queue.ok()) return queue.status();
  return std::unique_ptr<ControllerLoop>(
      new ControllerLoop(std::move(options), std::move(process), *std::move(queue)));
}

ControllerLoop::ControllerLoop(ControllerLoopOptions options, Process process, std::unique_ptr<WorkQueue> queue)
    : options_(std::move(options)), process_(std::move(process)), queue_(std::move(queue)) {}

ControllerLoop::~ControllerLoop() { Stop(); }

void ControllerLoop::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { RunWorker(); });
}

void ControllerLoop::Stop() {
  std::vector<std::thread> workers;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    workers.swap(workers_);
  }
  // Get hands out the keys still waiting before it reports the shutdown, so the
  // workers finish them; the drain returns once every key in hand is Done.
  queue_->ShutDownWithDrain();
  for (std::thread& worker : workers) worker.join();
}

void ControllerLoop::RunWorker() {
  while (std::optional<std::string> key = queue_->Get()) {
    absl::StatusOr<absl::Duration> requeue_after = process_(*key);
    if (!requeue_after.ok()) {
      queue_->AddRateLimited(*key);
    } else {
      queue_->Forget(*key);
      if (*requeue_after > absl::ZeroDuration()) queue_->AddAfter(*key, *requeue_after);
    }
    queue_->Done(*key);
  }
}

}  // namespace werf::kube
