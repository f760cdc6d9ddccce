// A common::Clock that only moves when told to, for tests. Thread-safe.
//
// SleepFor advances it instead of sleeping (a retry loop under test runs at
// once, and the time it "slept" is visible in Now()). WaitWithDeadline polls
// every millisecond of real time: a waiter cannot register with the clock
// without taking the clock's lock inside the caller's, and Advance() would
// need the reverse order to wake it reliably.
#ifndef WERF_OPERATOR_LIBS_COMMON_TESTING_FAKE_CLOCK_H_
#define WERF_OPERATOR_LIBS_COMMON_TESTING_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace werf::common::testing {

class FakeClock final : public Clock {
 public:
  // 2023-11-14T22:13:20Z: far from the epoch, so nothing mistakes it for unset.
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void SleepFor(absl::Duration duration) override { Advance(duration); }

  void WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv,
                        absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu) {
    if (deadline == absl::InfiniteFuture()) {
      cv->Wait(mu);  // No amount of Advance() can end this wait.
    } else if (Now() < deadline) {
      cv->WaitWithTimeout(mu, absl::Milliseconds(1));
    }
  }

  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&mu_);
    now_ += duration;
  }

  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::common::testing

#endif  // WERF_OPERATOR_LIBS_COMMON_TESTING_FAKE_CLOCK_H_
