#include "libs/kube/workqueue.h"

#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace werf::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::werf::common::testing::FakeClock;

std::unique_ptr<WorkQueue> MakeQueue(FakeClock& clock,
                                     prometheus::Registry* registry = nullptr,
                                     std::string name = "test") {
  WorkQueueOptions options;
  options.clock = &clock;
  options.metrics_registry = registry;
  options.name = std::move(name);
  absl::StatusOr<std::unique_ptr<WorkQueue>> queue =
      WorkQueue::Create(std::move(options));
  EXPECT_TRUE(queue.ok()) << queue.status();
  return queue.ok() ? *std::move(queue) : nullptr;
}

// Takes every waiting key without blocking, marking each Done.
std::vector<std::string> Drain(WorkQueue& queue) {
  std::vector<std::string> keys;
  while (queue.Len() > 0) {
    std::optional<std::string> key = queue.Get();
    if (!key.has_value()) break;
    keys.push_back(*key);
    queue.Done(*key);
  }
  return keys;
}

TEST(WorkQueueTest, AddsCollapseWhileWaitingAndKeepFirstAddOrder) {
  struct Case {
    std::string name;
    std::vector<std::string> adds;
    std::vector<std::string> handed_out;
  };
  const std::vector<Case> cases = {
      {"empty", {}, {}},
      {"single", {"ns/a"}, {"ns/a"}},
      {"duplicate", {"ns/a", "ns/a", "ns/a"}, {"ns/a"}},
      {"interleaved",
       {"ns/a", "ns/b", "ns/a", "ns/c", "ns/b"},
       {"ns/a", "ns/b", "ns/c"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeClock clock;
    std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
    for (const std::string& key : c.adds) queue->Add(key);
    EXPECT_EQ(queue->Len(), static_cast<int>(c.handed_out.size()));
    EXPECT_THAT(Drain(*queue), ElementsAreArray(c.handed_out));
  }
}

TEST(WorkQueueTest, AddWhileProcessingIsRequeuedOnDone) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->Add("ns/a");
  ASSERT_THAT(queue->Get(), Optional(std::string("ns/a")));

  queue->Add("ns/a");
  queue->Add("ns/a");
  // Not handed out while a worker still holds it.
  EXPECT_EQ(queue->Len(), 0);

  queue->Done("ns/a");
  EXPECT_EQ(queue->Len(), 1);
  EXPECT_THAT(queue->Get(), Optional(std::string("ns/a")));
  queue->Done("ns/a");
  EXPECT_EQ(queue->Len(), 0);
}

TEST(WorkQueueTest, DoneWithoutGetIsIgnored) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->Add("ns/a");
  queue->Done("ns/a");
  queue->Done("ns/other");
  EXPECT_THAT(Drain(*queue), ElementsAre("ns/a"));
}

// Many producers and workers on a few keys: no key is ever held by two
// workers, and every Add is followed by processing that saw it.
TEST(WorkQueueTest, KeyIsNeverProcessedConcurrentlyAndNoAddIsLost) {
  constexpr int kKeys = 8;
  constexpr int kProducers = 4;
  constexpr int kAddsPerProducer = 3000;
  constexpr int kWorkers = 8;
  std::unique_ptr<WorkQueue> queue = *WorkQueue::Create(WorkQueueOptions());

  std::array<std::atomic<bool>, kKeys> in_flight{};
  // add_generation[k] is bumped before each Add(k); processed_generation[k]
  // is the highest generation a worker saw after taking k.
  std::array<std::atomic<int>, kKeys> add_generation{};
  std::array<std::atomic<int>, kKeys> processed_generation{};
  std::atomic<int> overlaps{0};
  auto key_name = [](int k) { return absl::StrCat("ns/key-", k); };
  auto key_index = [](const std::string& key) { return key.back() - '0'; };

  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (std::optional<std::string> key = queue->Get()) {
        const int k = key_index(*key);
        if (in_flight[k].exchange(true)) overlaps.fetch_add(1);
        int seen = add_generation[k].load();
        int previous = processed_generation[k].load();
        while (previous < seen &&
               !processed_generation[k].compare_exchange_weak(previous, seen)) {
        }
        std::this_thread::yield();
        in_flight[k].store(false);
        queue->Done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      absl::BitGen gen;
      for (int i = 0; i < kAddsPerProducer; ++i) {
        const int k = absl::Uniform(gen, 0, kKeys);
        add_generation[k].fetch_add(1);
        queue->Add(key_name(k));
        if (i % 64 == p) std::this_thread::yield();
      }
    });
  }
  for (std::thread& t : producers) t.join();
  queue->ShutDownWithDrain();
  for (std::thread& t : workers) t.join();

  EXPECT_EQ(overlaps.load(), 0);
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(processed_generation[k].load(), add_generation[k].load())
        << key_name(k);
  }
  EXPECT_EQ(queue->Len(), 0);
}

TEST(WorkQueueTest, AddAfterHandsOutByDueTimeAndEarliestWins) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->AddAfter("ns/a", absl::Seconds(3));
  queue->AddAfter("ns/b", absl::Seconds(1));
  queue->AddAfter("ns/c", absl::Seconds(2));
  queue->AddAfter("ns/a", absl::Seconds(5));         // Later: ignored.
  queue->AddAfter("ns/c", absl::Milliseconds(500));  // Earlier: wins.
  EXPECT_EQ(queue->Len(), 0);

  struct Step {
    absl::Duration advance;
    std::vector<std::string> due;
  };
  const std::vector<Step> steps = {
      {absl::Milliseconds(499), {}},
      {absl::Milliseconds(1), {"ns/c"}},
      {absl::Milliseconds(500), {"ns/b"}},
      {absl::Milliseconds(1999), {}},
      {absl::Milliseconds(1), {"ns/a"}},
      {absl::Seconds(10), {}},  // The superseded due times left nothing behind.
  };
  for (const Step& step : steps) {
    clock.Advance(step.advance);
    SCOPED_TRACE(absl::StrCat(
        "at ", absl::FormatDuration(clock.Now() - absl::UnixEpoch())));
    EXPECT_THAT(Drain(*queue), ElementsAreArray(step.due));
  }
}

TEST(WorkQueueTest, AddAfterSeveralDueTogetherKeepsDueOrder) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->AddAfter("ns/late", absl::Seconds(3));
  queue->AddAfter("ns/early", absl::Seconds(1));
  queue->Add("ns/now");
  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(Drain(*queue), ElementsAre("ns/now", "ns/early", "ns/late"));
}

TEST(WorkQueueTest, AddAfterWithoutDelayAddsAtOnce) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->AddAfter("ns/a", absl::ZeroDuration());
  queue->AddAfter("ns/b", -absl::Seconds(1));
  EXPECT_THAT(Drain(*queue), ElementsAre("ns/a", "ns/b"));
}

TEST(WorkQueueTest, BlockedGetWakesWhenDelayedKeyIsDue) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->AddAfter("ns/a", absl::Seconds(1));
  std::optional<std::string> got;
  std::thread worker([&] { got = queue->Get(); });
  clock.Advance(absl::Seconds(1));
  worker.join();
  EXPECT_THAT(got, Optional(std::string("ns/a")));
}

TEST(WorkQueueTest, BlockedGetWakesForDelayedKeyOnRealClock) {
  std::unique_ptr<WorkQueue> queue = *WorkQueue::Create(WorkQueueOptions());
  std::optional<std::string> got;
  // The worker usually blocks before the AddAfter, with no deadline at all:
  // the AddAfter must shorten its wait.
  std::thread worker([&] { got = queue->Get(); });
  queue->AddAfter("ns/a", absl::Milliseconds(20));
  worker.join();
  EXPECT_THAT(got, Optional(std::string("ns/a")));
}

TEST(ItemExponentialFailureRateLimiterTest, DoublesFromBaseUpToCap) {
  ItemExponentialFailureRateLimiter limiter(absl::Milliseconds(5),
                                            absl::Seconds(1000));
  // 5 ms * 2^17 = 655.36 s is the last step below the 1000 s cap.
  for (int n = 0; n <= 17; ++n) {
    EXPECT_EQ(limiter.When("ns/a"), absl::Milliseconds(5) * (int64_t{1} << n))
        << "retry " << n;
  }
  for (int n = 18; n < 200; ++n) {
    EXPECT_EQ(limiter.When("ns/a"), absl::Seconds(1000)) << "retry " << n;
  }
  EXPECT_EQ(limiter.NumRequeues("ns/a"), 200);

  // Keys are independent.
  EXPECT_EQ(limiter.NumRequeues("ns/b"), 0);
  EXPECT_EQ(limiter.When("ns/b"), absl::Milliseconds(5));

  limiter.Forget("ns/a");
  EXPECT_EQ(limiter.NumRequeues("ns/a"), 0);
  EXPECT_EQ(limiter.When("ns/a"), absl::Milliseconds(5));
  EXPECT_EQ(limiter.When("ns/a"), absl::Milliseconds(10));
}

// The bucket's delays come from floating-point token arithmetic.
void ExpectNear(absl::Duration actual, absl::Duration expected) {
  EXPECT_LE(absl::AbsDuration(actual - expected), absl::Microseconds(1))
      << "actual " << actual << ", expected " << expected;
}

TEST(BucketRateLimiterTest, AllowsBurstThenSpacesAtQps) {
  FakeClock clock;
  BucketRateLimiter limiter(/*qps=*/10, /*burst=*/100, clock);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(limiter.When(absl::StrCat("ns/", i)), absl::ZeroDuration()) << i;
  }
  // Each further retry reserves the next free slot, 100 ms after the last.
  for (int i = 1; i <= 5; ++i) {
    ExpectNear(limiter.When("ns/x"), absl::Milliseconds(100) * i);
  }
  // Half a second pays back five tokens of the debt of five.
  clock.Advance(absl::Milliseconds(500));
  ExpectNear(limiter.When("ns/x"), absl::Milliseconds(100));
  // A long quiet spell refills the bucket, but only up to the burst.
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(limiter.When("ns/y"), absl::ZeroDuration()) << i;
  }
  ExpectNear(limiter.When("ns/y"), absl::Milliseconds(100));
  EXPECT_EQ(limiter.NumRequeues("ns/y"), 0);
}

TEST(DefaultControllerRateLimiterTest, TakesTheLongerOfBackoffAndBucket) {
  FakeClock clock;
  absl::StatusOr<std::unique_ptr<RateLimiter>> limiter =
      NewDefaultControllerRateLimiter(RateLimiterOptions(), clock);
  ASSERT_TRUE(limiter.ok()) << limiter.status();
  // Within the burst the per-key backoff decides.
  EXPECT_EQ((*limiter)->When("ns/a"), absl::Milliseconds(5));
  EXPECT_EQ((*limiter)->When("ns/a"), absl::Milliseconds(10));
  for (int i = 2; i < 100; ++i) (*limiter)->When(absl::StrCat("ns/", i));
  // The bucket is now empty: a fresh key waits for it, not for 5 ms.
  ExpectNear((*limiter)->When("ns/b"), absl::Milliseconds(100));
  EXPECT_EQ((*limiter)->NumRequeues("ns/a"), 2);
  (*limiter)->Forget("ns/a");
  EXPECT_EQ((*limiter)->NumRequeues("ns/a"), 0);
}

TEST(WorkQueueTest, AddRateLimitedBacksOffPerKeyUntilForget) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  for (absl::Duration backoff : {absl::Milliseconds(5), absl::Milliseconds(10),
                                 absl::Milliseconds(20)}) {
    queue->AddRateLimited("ns/a");
    clock.Advance(backoff - absl::Nanoseconds(1));
    EXPECT_EQ(queue->Len(), 0) << backoff;
    clock.Advance(absl::Nanoseconds(1));
    EXPECT_THAT(Drain(*queue), ElementsAre("ns/a")) << backoff;
  }
  EXPECT_EQ(queue->NumRequeues("ns/a"), 3);
  queue->Forget("ns/a");
  EXPECT_EQ(queue->NumRequeues("ns/a"), 0);
  queue->AddRateLimited("ns/a");
  clock.Advance(absl::Milliseconds(5));
  EXPECT_THAT(Drain(*queue), ElementsAre("ns/a"));
}

TEST(WorkQueueTest, CreateRejectsBadRateLimits) {
  struct Case {
    std::string name;
    void (*mutate)(RateLimiterOptions&);
    std::string message;
  };
  const std::vector<Case> cases = {
      {"zero base",
       [](RateLimiterOptions& o) { o.base_delay = absl::ZeroDuration(); },
       "base_delay"},
      {"max below base",
       [](RateLimiterOptions& o) { o.max_delay = absl::Milliseconds(1); },
       "max_delay"},
      {"infinite max",
       [](RateLimiterOptions& o) { o.max_delay = absl::InfiniteDuration(); },
       "max_delay"},
      {"zero qps", [](RateLimiterOptions& o) { o.qps = 0; }, "qps"},
      {"nan qps", [](RateLimiterOptions& o) { o.qps = std::nan(""); }, "qps"},
      {"zero burst", [](RateLimiterOptions& o) { o.burst = 0; }, "burst"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WorkQueueOptions options;
    c.mutate(options.rate_limits);
    absl::StatusOr<std::unique_ptr<WorkQueue>> queue =
        WorkQueue::Create(std::move(options));
    EXPECT_EQ(queue.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(queue.status().message(), HasSubstr(c.message));
  }
}

TEST(WorkQueueTest, GetReturnsNulloptAfterShutDownOnceEmpty) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->Add("ns/a");
  queue->AddAfter("ns/later", absl::Seconds(1));
  queue->ShutDown();
  EXPECT_TRUE(queue->ShuttingDown());
  queue->Add("ns/ignored");
  queue->AddRateLimited("ns/ignored");
  clock.Advance(absl::Seconds(2));
  // Keys waiting at shutdown are still handed out; delayed ones are dropped.
  EXPECT_THAT(queue->Get(), Optional(std::string("ns/a")));
  EXPECT_EQ(queue->Get(), std::nullopt);
  EXPECT_EQ(queue->Get(), std::nullopt);
}

TEST(WorkQueueTest, ShutDownWakesBlockedGets) {
  std::unique_ptr<WorkQueue> queue = *WorkQueue::Create(WorkQueueOptions());
  std::vector<std::thread> workers;
  std::atomic<int> stopped{0};
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      if (!queue->Get().has_value()) stopped.fetch_add(1);
    });
  }
  queue->ShutDown();
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(stopped.load(), 4);
}

TEST(WorkQueueTest, ShutDownWithDrainWaitsForKeysInFlight) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->Add("ns/a");
  queue->Add("ns/b");
  ASSERT_THAT(queue->Get(), Optional(std::string("ns/a")));
  ASSERT_THAT(queue->Get(), Optional(std::string("ns/b")));
  queue->Add("ns/a");  // Dirty while in flight.

  absl::Notification drained;
  std::thread shutdown([&] {
    queue->ShutDownWithDrain();
    drained.Notify();
  });
  while (!queue->ShuttingDown()) std::this_thread::yield();
  queue->Done("ns/a");
  // Whether or not the drain has started waiting, it cannot finish while
  // ns/b is in flight.
  EXPECT_FALSE(drained.HasBeenNotified());
  queue->Done("ns/b");
  shutdown.join();
  EXPECT_TRUE(drained.HasBeenNotified());
  // The change that arrived during processing is still handed out.
  EXPECT_THAT(queue->Get(), Optional(std::string("ns/a")));
  queue->Done("ns/a");
  EXPECT_EQ(queue->Get(), std::nullopt);
}

TEST(WorkQueueTest, ShutDownWithDrainReturnsAtOnceWhenIdle) {
  FakeClock clock;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock);
  queue->ShutDownWithDrain();
  EXPECT_TRUE(queue->ShuttingDown());
}

// Reads one sample of `family` for the queue named `name`.
const prometheus::ClientMetric* FindMetric(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& family, const std::string& name) {
  for (const prometheus::MetricFamily& f : families) {
    if (f.name != family) continue;
    for (const prometheus::ClientMetric& metric : f.metric) {
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        if (label.name == "name" && label.value == name) return &metric;
      }
    }
  }
  return nullptr;
}

TEST(WorkQueueTest, ExportsMetrics) {
  FakeClock clock;
  prometheus::Registry registry;
  std::unique_ptr<WorkQueue> queue = MakeQueue(clock, &registry, "bundles");
  std::unique_ptr<WorkQueue> other = MakeQueue(clock, &registry, "jobs");
  ASSERT_NE(queue, nullptr);
  ASSERT_NE(other, nullptr);

  queue->Add("ns/a");
  queue->Add("ns/a");  // Collapses: not an add.
  queue->Add("ns/b");
  queue->AddRateLimited("ns/c");  // A retry; an add once due.
  clock.Advance(absl::Seconds(2));
  ASSERT_THAT(queue->Get(), Optional(std::string("ns/a")));
  clock.Advance(absl::Seconds(3));
  queue->Done("ns/a");

  const std::vector<prometheus::MetricFamily> families = registry.Collect();
  auto value =
      [&](const std::string& family) -> const prometheus::ClientMetric& {
    const prometheus::ClientMetric* metric =
        FindMetric(families, family, "bundles");
    EXPECT_NE(metric, nullptr) << family;
    static const prometheus::ClientMetric kMissing;
    return metric != nullptr ? *metric : kMissing;
  };
  EXPECT_EQ(value("werf_operator_workqueue_depth").gauge.value, 2);
  EXPECT_EQ(value("werf_operator_workqueue_adds_total").counter.value, 3);
  EXPECT_EQ(value("werf_operator_workqueue_retries_total").counter.value, 1);
  const auto& queued = value("werf_operator_workqueue_queue_duration_seconds");
  EXPECT_EQ(queued.histogram.sample_count, 1u);
  EXPECT_DOUBLE_EQ(queued.histogram.sample_sum, 2.0);
  const auto& worked = value("werf_operator_workqueue_work_duration_seconds");
  EXPECT_EQ(worked.histogram.sample_count, 1u);
  EXPECT_DOUBLE_EQ(worked.histogram.sample_sum, 3.0);
  // The second queue has its own series.
  const prometheus::ClientMetric* other_depth =
      FindMetric(families, "werf_operator_workqueue_depth", "jobs");
  ASSERT_NE(other_depth, nullptr);
  EXPECT_EQ(other_depth->gauge.value, 0);
}

TEST(WorkQueueTest, CreateReportsMetricNameClash) {
  prometheus::Registry registry;
  prometheus::BuildCounter()
      .Name("werf_operator_workqueue_depth")
      .Help("not a gauge")
      .Register(registry);
  WorkQueueOptions options;
  options.name = "bundles";
  options.metrics_registry = &registry;
  absl::StatusOr<std::unique_ptr<WorkQueue>> queue =
      WorkQueue::Create(std::move(options));
  EXPECT_EQ(queue.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(queue.status().message(), HasSubstr("bundles"));
}

}  // namespace
}  // namespace werf::kube
