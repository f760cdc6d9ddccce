#include "services/gateway/elastic_task_queue.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace werf::gateway {
namespace {

TEST(ElasticTaskQueueTest, StartsThreadsOnlyWhenTasksWouldWait) {
  ElasticTaskQueue queue(8);
  EXPECT_EQ(queue.threads(), 0u);
  std::atomic<int> done{0};
  for (int i = 0; i < 3; ++i) {
    queue.enqueue([&done] { done.fetch_add(1); });
    while (done.load() <= i) absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(queue.threads(), 1u) << "one idle thread serves sequential tasks";
  queue.shutdown();
}

TEST(ElasticTaskQueueTest, LongTasksDoNotStarveOthersUpToTheCap) {
  ElasticTaskQueue queue(4);
  absl::Notification release;
  std::atomic<int> started{0};
  // Three long tasks (like SSE streams) hold three threads...
  for (int i = 0; i < 3; ++i) {
    queue.enqueue([&] {
      started.fetch_add(1);
      release.WaitForNotification();
    });
  }
  // ...and a short one still runs at once on a fourth.
  absl::Notification quick;
  queue.enqueue([&quick] { quick.Notify(); });
  EXPECT_TRUE(quick.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(queue.threads(), 4u);

  // At the cap, a task waits for a thread instead of starting a fifth.
  std::atomic<bool> queued_ran{false};
  queue.enqueue([&] {});  // takes the idle fourth thread
  queue.enqueue([&queued_ran] { queued_ran.store(true); });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_LE(queue.threads(), 4u);
  release.Notify();
  queue.shutdown();  // runs what is queued, then joins
  EXPECT_TRUE(queued_ran.load());
  EXPECT_EQ(started.load(), 3);
}

}  // namespace
}  // namespace werf::gateway
