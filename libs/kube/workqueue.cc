#include "libs/kube/workqueue.h"
#include "libs/common/backoff.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <exception>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"

namespace werf::kube {
namespace {

// Decades from 100 µs to 1000 s: a key can wait behind a long backlog, and
// a reconcile can take from a cache hit to a slow API server.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* const kBuckets =
      new prometheus::Histogram::BucketBoundaries{0.0001, 0.001, 0.01, 0.1,
                                                  1,      10,    100,  1000};
  return *kBuckets;
}

}  // namespace

ItemExponentialFailureRateLimiter::ItemExponentialFailureRateLimiter(
    absl::Duration base_delay, absl::Duration max_delay)
    : base_delay_(base_delay), max_delay_(max_delay) {}

absl::Duration ItemExponentialFailureRateLimiter::When(absl::string_view key) {
  int exponent;
  {
    absl::MutexLock lock(&mu_);
    int& failures = failures_[key];
    exponent = failures;
    if (failures < INT_MAX) ++failures;
  }
  // The n-th retry (from 0) follows n + 1 failures.
  return common::CappedExponentialDelay(base_delay_, max_delay_, exponent == INT_MAX ? INT_MAX : exponent + 1);
}

void ItemExponentialFailureRateLimiter::Forget(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  failures_.erase(key);
}

int ItemExponentialFailureRateLimiter::NumRequeues(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

BucketRateLimiter::BucketRateLimiter(double qps, int burst, common::Clock& clock)
    : clock_(clock), bucket_(qps, burst) {}

absl::Duration BucketRateLimiter::When(absl::string_view) {
  return bucket_.Reserve(clock_.Now());
}

MaxOfRateLimiter::MaxOfRateLimiter(
    std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

absl::Duration MaxOfRateLimiter::When(absl::string_view key) {
  // Every limiter must see every retry, so no short-circuit.
  absl::Duration longest = absl::ZeroDuration();
  for (const auto& limiter : limiters_) {
    longest = std::max(longest, limiter->When(key));
  }
  return longest;
}

void MaxOfRateLimiter::Forget(absl::string_view key) {
  for (const auto& limiter : limiters_) limiter->Forget(key);
}

int MaxOfRateLimiter::NumRequeues(absl::string_view key) {
  int most = 0;
  for (const auto& limiter : limiters_) {
    most = std::max(most, limiter->NumRequeues(key));
  }
  return most;
}

absl::Status ValidateRateLimiterOptions(const RateLimiterOptions& options) {
  if (options.base_delay <= absl::ZeroDuration() ||
      options.max_delay < options.base_delay ||
      options.max_delay == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workqueue rate limits: need 0 < base_delay <= max_delay < infinity, "
        "got base_delay=",
        absl::FormatDuration(options.base_delay),
        " max_delay=", absl::FormatDuration(options.max_delay)));
  }
  if (!(options.qps > 0) || !std::isfinite(options.qps) || options.burst < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workqueue rate limits: need a positive finite qps and burst >= 1, "
        "got qps=",
        options.qps, " burst=", options.burst));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RateLimiter>> NewDefaultControllerRateLimiter(
    const RateLimiterOptions& options, common::Clock& clock) {
  if (absl::Status status = ValidateRateLimiterOptions(options); !status.ok()) {
    return status;
  }
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialFailureRateLimiter>(
      options.base_delay, options.max_delay));
  limiters.push_back(
      std::make_unique<BucketRateLimiter>(options.qps, options.burst, clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

absl::StatusOr<std::unique_ptr<WorkQueue>> WorkQueue::Create(
    WorkQueueOptions options) {
  common::Clock& clock = options.clock != nullptr ? *options.clock : common::RealClock();
  std::unique_ptr<RateLimiter> rate_limiter = std::move(options.rate_limiter);
  if (rate_limiter == nullptr) {
    absl::StatusOr<std::unique_ptr<RateLimiter>> made =
        NewDefaultControllerRateLimiter(options.rate_limits, clock);
    if (!made.ok()) return made.status();
    rate_limiter = *std::move(made);
  }

  Metrics metrics;
  if (options.metrics_registry != nullptr) {
    prometheus::Registry& registry = *options.metrics_registry;
    const prometheus::Labels labels = {{"name", options.name}};
    // prometheus-cpp reports a clash with an existing metric by throwing.
    try {
      metrics.depth =
          &prometheus::BuildGauge()
               .Name("werf_operator_workqueue_depth")
               .Help("Keys waiting in the work queue to be handed to a worker.")
               .Register(registry)
               .Add(labels);
      metrics.adds = &prometheus::BuildCounter()
                          .Name("werf_operator_workqueue_adds_total")
                          .Help(
                              "Keys added to the work queue (repeated adds "
                              "of a waiting key are not counted).")
                          .Register(registry)
                          .Add(labels);
      metrics.queue_duration =
          &prometheus::BuildHistogram()
               .Name("werf_operator_workqueue_queue_duration_seconds")
               .Help(
                   "Time a key waited in the work queue before a worker "
                   "took it.")
               .Register(registry)
               .Add(labels, DurationBuckets());
      metrics.work_duration =
          &prometheus::BuildHistogram()
               .Name("werf_operator_workqueue_work_duration_seconds")
               .Help("Time a worker spent on a key, from Get to Done.")
               .Register(registry)
               .Add(labels, DurationBuckets());
      metrics.retries = &prometheus::BuildCounter()
                             .Name("werf_operator_workqueue_retries_total")
                             .Help(
                                 "Delayed and rate-limited re-adds to the "
                                 "work queue.")
                             .Register(registry)
                             .Add(labels);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot register metrics for work queue \"",
                       options.name, "\": ", e.what()));
    }
  }
  return absl::WrapUnique(
      new WorkQueue(clock, std::move(rate_limiter), metrics));
}

WorkQueue::WorkQueue(common::Clock& clock, std::unique_ptr<RateLimiter> rate_limiter,
                     Metrics metrics)
    : clock_(clock), rate_limiter_(std::move(rate_limiter)), metrics_(metrics) {
  if (metrics_.depth != nullptr) metrics_.depth->Set(0);
}

WorkQueue::~WorkQueue() = default;

void WorkQueue::Add(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  PromoteDueLocked(now);
  AddLocked(key, now);
}

void WorkQueue::AddLocked(absl::string_view key, absl::Time since) {
  if (shutting_down_) return;
  if (!dirty_.try_emplace(key, since).second) return;  // Already waiting.
  if (metrics_.adds != nullptr) metrics_.adds->Increment();
  // A key being processed goes to the FIFO when Done is called; queueing it
  // now could hand it to a second worker.
  if (processing_.contains(key)) return;
  queue_.emplace_back(key);
  UpdateDepthLocked();
  work_available_.Signal();
}

void WorkQueue::AddAfter(absl::string_view key, absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return;
  if (metrics_.retries != nullptr) metrics_.retries->Increment();
  const absl::Time now = clock_.Now();
  PromoteDueLocked(now);
  if (delay <= absl::ZeroDuration()) {
    AddLocked(key, now);
    return;
  }
  const absl::Time due = now + delay;
  auto [it, inserted] = due_at_.try_emplace(key, due);
  if (!inserted) {
    if (it->second <= due) return;  // The earlier due time wins.
    delayed_.erase({it->second, it->first});
    it->second = due;
  }
  delayed_.emplace(due, it->first);
  // A blocked Get may be sleeping until a later due time, or indefinitely.
  work_available_.Signal();
}

void WorkQueue::PromoteDueLocked(absl::Time now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    auto node = delayed_.extract(delayed_.begin());
    due_at_.erase(node.value().second);
    AddLocked(node.value().second, node.value().first);
  }
}

void WorkQueue::AddRateLimited(absl::string_view key) {
  AddAfter(key, rate_limiter_->When(key));
}

void WorkQueue::Forget(absl::string_view key) { rate_limiter_->Forget(key); }

int WorkQueue::NumRequeues(absl::string_view key) {
  return rate_limiter_->NumRequeues(key);
}

std::optional<std::string> WorkQueue::Get() {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  PromoteDueLocked(now);
  while (queue_.empty()) {
    if (shutting_down_) return std::nullopt;
    const absl::Time deadline =
        delayed_.empty() ? absl::InfiniteFuture() : delayed_.begin()->first;
    clock_.WaitWithDeadline(&mu_, &work_available_, deadline);
    now = clock_.Now();
    PromoteDueLocked(now);
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  UpdateDepthLocked();
  auto added = dirty_.extract(key);
  if (metrics_.queue_duration != nullptr) {
    metrics_.queue_duration->Observe(absl::ToDoubleSeconds(
        std::max(absl::ZeroDuration(), now - added.mapped())));
  }
  processing_.emplace(key, now);
  // More keys may be waiting than there were signals, e.g. several delayed
  // keys promoted at once; pass the baton so they are not stranded.
  if (!queue_.empty()) work_available_.Signal();
  return key;
}

void WorkQueue::Done(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  auto it = processing_.find(key);
  if (it == processing_.end()) return;
  if (metrics_.work_duration != nullptr) {
    metrics_.work_duration->Observe(absl::ToDoubleSeconds(
        std::max(absl::ZeroDuration(), now - it->second)));
  }
  processing_.erase(it);
  if (dirty_.contains(key)) {
    queue_.emplace_back(key);
    UpdateDepthLocked();
    work_available_.Signal();
  }
  if (processing_.empty()) processing_idle_.SignalAll();
  PromoteDueLocked(now);
}

int WorkQueue::Len() {
  absl::MutexLock lock(&mu_);
  PromoteDueLocked(clock_.Now());
  return static_cast<int>(queue_.size());
}

void WorkQueue::ShutDown() {
  absl::MutexLock lock(&mu_);
  ShutDownLocked(/*drain=*/false);
}

void WorkQueue::ShutDownWithDrain() {
  absl::MutexLock lock(&mu_);
  ShutDownLocked(/*drain=*/true);
  while (drain_ && !processing_.empty()) processing_idle_.Wait(&mu_);
}

void WorkQueue::ShutDownLocked(bool drain) {
  // Keys due in the future would only arrive after the workers have gone.
  // Those already due are kept, like the rest of the waiting keys.
  PromoteDueLocked(clock_.Now());
  delayed_.clear();
  due_at_.clear();
  shutting_down_ = true;
  drain_ = drain;
  work_available_.SignalAll();
  processing_idle_.SignalAll();
}

bool WorkQueue::ShuttingDown() {
  absl::MutexLock lock(&mu_);
  return shutting_down_;
}

void WorkQueue::UpdateDepthLocked() {
  if (metrics_.depth != nullptr) {
    metrics_.depth->Set(static_cast<double>(queue_.size()));
  }
}

}  // namespace werf::kube
