// A task queue for cpp-httplib that starts threads as connections need them, up to a
// cap, instead of httplib's fixed pool of 8. Server-Sent Event streams hold their
// connection's thread for as long as they are open; with a fixed pool a handful of
// dashboards would starve /healthz and the JSON API.
//
// Threads are kept once started (the peak is bounded by the cap); shutdown() lets
// queued tasks finish and joins them all.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_ELASTIC_TASK_QUEUE_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_ELASTIC_TASK_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "httplib.h"

namespace werf::gateway {

class ElasticTaskQueue final : public httplib::TaskQueue {
 public:
  explicit ElasticTaskQueue(size_t max_threads);
  ~ElasticTaskQueue() override;

  void enqueue(std::function<void()> task) override ABSL_LOCKS_EXCLUDED(mu_);
  void shutdown() override ABSL_LOCKS_EXCLUDED(mu_);

  size_t threads() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Work() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasTaskOrShutdown() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_threads_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_ELASTIC_TASK_QUEUE_H_
