// A work queue for controllers with client-go's semantics
// (k8s.io/client-go/util/workqueue): string keys ("namespace/name"), handed to
// one worker at a time, with delayed and rate-limited re-adds.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<WorkQueue> queue,
//                    WorkQueue::Create(WorkQueueOptions()));
//   // Informer handlers:
//   queue->Add(key);
//   // Each worker thread:
//   while (std::optional<std::string> key = queue->Get()) {
//     absl::Status status = Reconcile(*key);
//     if (status.ok()) {
//       queue->Forget(*key);
//     } else {
//       queue->AddRateLimited(*key);
//     }
//     queue->Done(*key);
//   }
#ifndef WERF_OPERATOR_LIBS_KUBE_WORKQUEUE_H_
#define WERF_OPERATOR_LIBS_KUBE_WORKQUEUE_H_

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/token_bucket.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace werf::kube {

// Decides how long a key waits before it is retried. Implementations are
// thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Records a retry of `key` and returns how long it should wait.
  virtual absl::Duration When(absl::string_view key) = 0;
  // Stops tracking `key`, e.g. after it was processed successfully.
  virtual void Forget(absl::string_view key) = 0;
  // Retries of `key` recorded since it was last forgotten.
  virtual int NumRequeues(absl::string_view key) = 0;
};

// Per-key exponential backoff: the n-th retry of a key (from 0) waits
// base_delay * 2^n, capped at max_delay. Requires 0 < base_delay <= max_delay.
class ItemExponentialFailureRateLimiter : public RateLimiter {
 public:
  ItemExponentialFailureRateLimiter(absl::Duration base_delay,
                                    absl::Duration max_delay);

  absl::Duration When(absl::string_view key) override;
  void Forget(absl::string_view key) override;
  int NumRequeues(absl::string_view key) override;

 private:
  const absl::Duration base_delay_;
  const absl::Duration max_delay_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> failures_ ABSL_GUARDED_BY(mu_);
};

// One token bucket shared by all keys (qps tokens per second, holding at
// most `burst`), bounding the overall retry rate however many keys fail.
// Keys are not tracked: Forget does nothing and NumRequeues is 0.
// Requires qps > 0 and burst >= 1; `clock` must outlive the limiter.
class BucketRateLimiter : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, common::Clock& clock);

  absl::Duration When(absl::string_view key) override;
  void Forget(absl::string_view) override {}
  int NumRequeues(absl::string_view) override { return 0; }

 private:
  common::Clock& clock_;
  common::TokenBucket bucket_;
};

// The longest wait any of `limiters` asks for.
class MaxOfRateLimiter : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);

  absl::Duration When(absl::string_view key) override;
  void Forget(absl::string_view key) override;
  int NumRequeues(absl::string_view key) override;

 private:
  const std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// The numbers of client-go's DefaultControllerRateLimiter. Set fields by
// assignment.
struct RateLimiterOptions {
  // Per-key backoff: the first retry waits base_delay, each further one
  // twice as long, up to max_delay.
  absl::Duration base_delay = absl::Milliseconds(5);
  absl::Duration max_delay = absl::Seconds(1000);
  // Overall retries: `burst` at once, then `qps` per second.
  double qps = 10;
  int burst = 100;
};

// Returns InvalidArgument unless 0 < base_delay <= max_delay < infinity,
// qps is positive and finite, and burst >= 1.
absl::Status ValidateRateLimiterOptions(const RateLimiterOptions& options);

// MaxOf(ItemExponentialFailure, Bucket) configured by `options`, as
// client-go's DefaultControllerRateLimiter. `clock` must outlive the limiter.
absl::StatusOr<std::unique_ptr<RateLimiter>> NewDefaultControllerRateLimiter(
    const RateLimiterOptions& options, common::Clock& clock);

// Set fields by assignment.
struct WorkQueueOptions {
  // Labels the queue's metrics ({name="..."}); queues sharing a name share
  // their metrics.
  std::string name;
  // When set, the queue registers werf_operator_workqueue_* metrics here.
  // Must outlive the queue.
  prometheus::Registry* metrics_registry = nullptr;
  // Defaults to common::RealClock(). Must outlive the queue.
  common::Clock* clock = nullptr;
  // Used to build the default controller rate limiter...
  RateLimiterOptions rate_limits;
  // ...unless a limiter is given here.
  std::unique_ptr<RateLimiter> rate_limiter;
};

// Thread-safe. Keys move through three states:
//   waiting   - in the FIFO, to be handed out by Get (the "dirty" set);
//   processing - handed to a worker, until it calls Done;
//   delayed   - due at a later time (AddAfter), then waiting.
// A key is waiting at most once, so repeated Adds collapse. A key being
// processed is never handed to a second worker: an Add meanwhile marks it
// dirty, and Done puts it back in the FIFO, so the change is not lost.
//
// Delayed keys are moved to the FIFO lazily, by whichever call next holds
// the lock, and a blocked Get sleeps until the earliest one is due; so the
// queue needs no thread of its own, and a common::testing::FakeClock drives it entirely.
class WorkQueue {
 public:
  // Returns InvalidArgument for bad rate limits, or when the metrics cannot
  // be registered (a metric of the same name but another type exists).
  static absl::StatusOr<std::unique_ptr<WorkQueue>> Create(
      WorkQueueOptions options);

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  // Call ShutDown and join the workers first: a worker still blocked in Get
  // would use a destroyed queue.
  ~WorkQueue();

  // Marks `key` as needing processing. Ignored once shutting down.
  void Add(absl::string_view key) ABSL_LOCKS_EXCLUDED(mu_);

  // Adds `key` once `delay` has passed (at once if it is not positive). If
  // the key is already delayed, the earlier due time wins. Delayed keys are
  // dropped at shutdown. Counts as a retry in the metrics.
  void AddAfter(absl::string_view key, absl::Duration delay)
      ABSL_LOCKS_EXCLUDED(mu_);

  // AddAfter(key, rate_limiter.When(key)).
  void AddRateLimited(absl::string_view key) ABSL_LOCKS_EXCLUDED(mu_);
  // Resets the key's backoff; call it when the key was processed
  // successfully (or given up on). It still needs Done.
  void Forget(absl::string_view key);
  // Rate-limited adds of `key` since it was last forgotten.
  int NumRequeues(absl::string_view key);

  // Blocks until a key is waiting and returns it, now marked processing; the
  // caller must call Done(key) when finished. Returns nullopt once the queue
  // is shutting down and no key is waiting: the worker should exit. Keys
  // still waiting at shutdown are handed out first, as in client-go.
  std::optional<std::string> Get() ABSL_LOCKS_EXCLUDED(mu_);

  // Ends processing of a key returned by Get, re-queueing it if it was
  // added meanwhile. A key that is not being processed is ignored.
  void Done(absl::string_view key) ABSL_LOCKS_EXCLUDED(mu_);

  // Keys waiting to be handed out. For information only: it may be stale
  // by the time the caller looks at it.
  int Len() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops accepting keys and wakes every blocked Get. Idempotent.
  void ShutDown() ABSL_LOCKS_EXCLUDED(mu_);
  // As ShutDown, then blocks until no key is being processed, i.e. every key
  // handed out has been passed to Done. A concurrent ShutDown() cuts the
  // wait short.
  void ShutDownWithDrain() ABSL_LOCKS_EXCLUDED(mu_);
  bool ShuttingDown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Null members when the queue has no metrics registry.
  struct Metrics {
    prometheus::Gauge* depth = nullptr;
    prometheus::Counter* adds = nullptr;
    prometheus::Histogram* queue_duration = nullptr;
    prometheus::Histogram* work_duration = nullptr;
    prometheus::Counter* retries = nullptr;
  };

  WorkQueue(common::Clock& clock, std::unique_ptr<RateLimiter> rate_limiter,
            Metrics metrics);

  // `since` is when the key became due: now for Add, the due time for a
  // delayed key, so that queue latency does not depend on who noticed it.
  void AddLocked(absl::string_view key, absl::Time since)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves delayed keys that are due at `now` to the FIFO.
  void PromoteDueLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ShutDownLocked(bool drain) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateDepthLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  common::Clock& clock_;
  const std::unique_ptr<RateLimiter> rate_limiter_;
  const Metrics metrics_;

  absl::Mutex mu_;
  // Signalled when a key is waiting or shutdown begins.
  absl::CondVar work_available_;
  // Signalled when the processing set becomes empty, or the drain is cut short.
  absl::CondVar processing_idle_;
  // The FIFO order of waiting keys; each is also in dirty_.
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  // Keys needing processing -> when they were added. A dirty key that is also
  // processing is not in queue_ yet: Done puts it there.
  absl::flat_hash_map<std::string, absl::Time> dirty_ ABSL_GUARDED_BY(mu_);
  // Keys handed out by Get -> when.
  absl::flat_hash_map<std::string, absl::Time> processing_ ABSL_GUARDED_BY(mu_);
  // Delayed keys ordered by due time, and each key's due time.
  std::set<std::pair<absl::Time, std::string>> delayed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> due_at_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_WORKQUEUE_H_
