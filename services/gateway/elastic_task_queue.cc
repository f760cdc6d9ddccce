#include "services/gateway/elastic_task_queue.h"

#include <utility>

namespace werf::gateway {

ElasticTaskQueue::ElasticTaskQueue(size_t max_threads)
    : max_threads_(max_threads > 0 ? max_threads : 1) {}

ElasticTaskQueue::~ElasticTaskQueue() { shutdown(); }

bool ElasticTaskQueue::HasTaskOrShutdown() const { return !tasks_.empty() || shutting_down_; }

void ElasticTaskQueue::enqueue(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return;  // httplib stops enqueueing before it shuts the queue down
  tasks_.push_back(std::move(task));
  // Every idle thread will take one task; start another only if tasks would wait.
  if (tasks_.size() > idle_ && threads_.size() < max_threads_) {
    threads_.emplace_back([this] { Work(); });
  }
}

void ElasticTaskQueue::Work() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      ++idle_;
      mu_.Await(absl::Condition(this, &ElasticTaskQueue::HasTaskOrShutdown));
      --idle_;
      if (tasks_.empty()) return;  // shutting down, nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void ElasticTaskQueue::shutdown() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    threads = std::move(threads_);
    threads_.clear();
  }
  for (std::thread& thread : threads) thread.join();
}

size_t ElasticTaskQueue::threads() const {
  absl::MutexLock lock(&mu_);
  return threads_.size();
}

}  // namespace werf::gateway
