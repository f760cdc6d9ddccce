#include "services/controller/webhook_router.h"

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"

namespace werf::controller {
namespace {

class WebhookRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = WebhookRouter::Create({.quiet = absl::Milliseconds(500), .max_delay = absl::Seconds(5), .clock = &clock_},
                                        [this](const std::string& key) {
                                          absl::MutexLock lock(&mu_);
                                          ++polls_[key];
                                        });
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = std::move(*router);
  }

  int Polls(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return polls_[key];
  }
  // The router's thread runs on real time; give it a moment after each step.
  bool WaitForPolls(const std::string& key, int count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      if (Polls(key) >= count) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  common::testing::FakeClock clock_;
  absl::Mutex mu_;
  std::map<std::string, int> polls_;
  std::unique_ptr<WebhookRouter> router_;
};

TEST_F(WebhookRouterTest, ABurstForOneRepositoryIsOnePollAtTheEndOfTheWindow) {
  for (int i = 0; i < 100; ++i) router_->Route("registry.example.com/team/app");
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Polls("registry.example.com/team/app"), 0) << "not before the window ends";
  clock_.Advance(absl::Milliseconds(500));
  ASSERT_TRUE(WaitForPolls("registry.example.com/team/app", 1));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Polls("registry.example.com/team/app"), 1);

  // An event after the poll was asked for is news again.
  router_->Route("registry.example.com/team/app");
  clock_.Advance(absl::Milliseconds(500));
  ASSERT_TRUE(WaitForPolls("registry.example.com/team/app", 2));
}

// A CI pipeline or a registry replaying its backlog sends events for a while, not at one
// instant: as long as they keep coming closer than the quiet period, they are one poll.
TEST_F(WebhookRouterTest, ABurstLongerThanTheQuietPeriodIsStillOnePoll) {
  for (int i = 0; i < 20; ++i) {
    router_->Route("r/app");
    clock_.Advance(absl::Milliseconds(100));  // 2 s of events, 100 ms apart
  }
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Polls("r/app"), 0) << "still within the quiet period of the last event";
  clock_.Advance(absl::Milliseconds(400));
  ASSERT_TRUE(WaitForPolls("r/app", 1));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Polls("r/app"), 1);
}

// An endless stream must not postpone the poll forever.
TEST_F(WebhookRouterTest, AStreamThatNeverPausesIsPolledAfterTheMaximumDelay) {
  for (int i = 0; i < 49; ++i) {
    router_->Route("r/busy");
    clock_.Advance(absl::Milliseconds(100));
  }
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Polls("r/busy"), 0);
  router_->Route("r/busy");
  clock_.Advance(absl::Milliseconds(100));  // 5 s after the first event
  ASSERT_TRUE(WaitForPolls("r/busy", 1));
}

TEST_F(WebhookRouterTest, KeysAreCoalescedSeparately) {
  router_->Route("a");
  router_->Route("b");
  router_->Route("a");
  clock_.Advance(absl::Milliseconds(500));
  ASSERT_TRUE(WaitForPolls("a", 1));
  ASSERT_TRUE(WaitForPolls("b", 1));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Polls("a"), 1);
  EXPECT_EQ(Polls("b"), 1);
}

}  // namespace
}  // namespace werf::controller
