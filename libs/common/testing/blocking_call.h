// One call that blocks (on a FakeClock, a condition, a stream) run on its own thread, so
// that a test can move time or change state while it waits and then look at how it
// ended. Only the absence of a return is timed in real time (StillWaiting); what the
// test moves is its fake clock.
//
//   BlockingCall<absl::StatusOr<Changes>> read([&] { return log.ChangesSince(0, 10, deadline); });
//   EXPECT_TRUE(read.StillWaiting());
//   clock.Advance(absl::Minutes(5));
//   ASSERT_TRUE(read.Returns());
//   EXPECT_TRUE(read.result()->empty());
//
// The destructor joins the thread: a test that finds the call still blocked must first
// unblock it (close what it waits on, advance the clock).
#ifndef WERF_OPERATOR_LIBS_COMMON_TESTING_BLOCKING_CALL_H_
#define WERF_OPERATOR_LIBS_COMMON_TESTING_BLOCKING_CALL_H_

#include <functional>
#include <optional>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace werf::common::testing {

// How long a call that should still be waiting gets to return anyway, in real time.
inline constexpr absl::Duration kStillWaitingFor = absl::Milliseconds(50);
// How long a call that should return gets, in real time (a FakeClock's waits poll every
// millisecond).
inline constexpr absl::Duration kReturnsWithin = absl::Seconds(10);

template <typename Result>
class BlockingCall {
 public:
  explicit BlockingCall(std::function<Result()> call)
      : thread_([this, call = std::move(call)] {
          result_.emplace(call());
          returned_.Notify();
        }) {}
  ~BlockingCall() { thread_.join(); }
  BlockingCall(const BlockingCall&) = delete;
  BlockingCall& operator=(const BlockingCall&) = delete;

  // True when the call has not returned within kStillWaitingFor.
  bool StillWaiting() { return !returned_.WaitForNotificationWithTimeout(kStillWaitingFor); }
  // True when the call has returned, waiting up to kReturnsWithin for it.
  bool Returns() { return returned_.WaitForNotificationWithTimeout(kReturnsWithin); }
  // What the call returned; only once Returns() said so.
  const Result& result() const { return *result_; }

 private:
  std::optional<Result> result_;
  absl::Notification returned_;
  std::thread thread_;  // last: starts once the rest is constructed
};

}  // namespace werf::common::testing

#endif  // WERF_OPERATOR_LIBS_COMMON_TESTING_BLOCKING_CALL_H_
