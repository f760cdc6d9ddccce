#include "libs/kube/controller_loop.h"

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace werf::kube {
namespace {

// Records how often each key was processed; `outcomes` scripts the results in order.
class Script {
 public:
  explicit Script(std::map<std::string, std::vector<absl::StatusOr<absl::Duration>>> outcomes)
      : outcomes_(std::move(outcomes)) {}

  absl::StatusOr<absl::Duration> operator()(const std::string& key) {
    absl::MutexLock lock(&mu_);
    const int call = calls_[key]++;
    const auto& script = outcomes_[key];
    return call < static_cast<int>(script.size()) ? script[call] : absl::ZeroDuration();
  }

  bool AwaitCalls(const std::string& key, int calls, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto reached = [&] { mu_.AssertHeld(); return calls_[key] >= calls; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  int Calls(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return calls_[key];
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<absl::StatusOr<absl::Duration>>> outcomes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
};

const RateLimiterOptions kFastRetries{.base_delay = absl::Milliseconds(1), .max_delay = absl::Milliseconds(10)};

TEST(ControllerLoopTest, RefusesNoWorkers) {
  EXPECT_EQ(ControllerLoop::Create({.name = "t", .workers = 0}, [](const std::string&) {
              return absl::StatusOr<absl::Duration>(absl::ZeroDuration());
            }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ControllerLoopTest, RetriesErrorsUntilTheKeySucceedsThenLeavesItAlone) {
  Script script({{"a", {absl::UnavailableError("1"), absl::UnavailableError("2"), absl::ZeroDuration()}}});
  auto loop = ControllerLoop::Create({.name = "t", .workers = 2, .rate_limits = kFastRetries},
                                     [&](const std::string& key) { return script(key); });
  ASSERT_TRUE(loop.ok()) << loop.status();
  (*loop)->Add("a");
  (*loop)->Start();
  ASSERT_TRUE(script.AwaitCalls("a", 3));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(script.Calls("a"), 3);
}

TEST(ControllerLoopTest, APositiveResultLooksAtTheKeyAgainAfterIt) {
  Script script({{"a", {absl::Milliseconds(20), absl::ZeroDuration()}}});
  auto loop = ControllerLoop::Create({.name = "t"}, [&](const std::string& key) { return script(key); });
  ASSERT_TRUE(loop.ok()) << loop.status();
  (*loop)->Start();
  (*loop)->Add("a");
  ASSERT_TRUE(script.AwaitCalls("a", 2));
}

TEST(ControllerLoopTest, StopFinishesTheKeyInHandAndJoins) {
  absl::Notification entered;
  absl::Notification release;
  int finished = 0;
  auto loop = ControllerLoop::Create({.name = "t"}, [&](const std::string&) -> absl::StatusOr<absl::Duration> {
    entered.Notify();
    release.WaitForNotification();
    ++finished;
    return absl::ZeroDuration();
  });
  ASSERT_TRUE(loop.ok()) << loop.status();
  (*loop)->Start();
  (*loop)->Add("a");
  entered.WaitForNotification();
  std::thread stopper([&] { (*loop)->Stop(); });
  release.Notify();
  stopper.join();
  EXPECT_EQ(finished, 1);
  (*loop)->Add("b");  // ignored after Stop
  (*loop)->Stop();    // idempotent
}

}  // namespace
}  // namespace werf::kube
