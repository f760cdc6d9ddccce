// The one source of time for code that waits or expires things (work queues,
// token caches, Retry-After waits, debouncers), so that tests can move time
// instead of sleeping: take a `common::Clock&`, default it to RealClock(), and
// hand tests a common::testing::FakeClock (libs/common/testing/fake_clock.h).
#ifndef WERF_OPERATOR_LIBS_COMMON_CLOCK_H_
#define WERF_OPERATOR_LIBS_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace werf::common {

// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() = 0;

  // Blocks the caller for `duration` of this clock's time.
  virtual void SleepFor(absl::Duration duration) = 0;

  // Blocks on `cv`, releasing `mu` (which the caller holds) while blocked,
  // until `cv` is signalled or Now() reaches `deadline`. May return early;
  // callers re-check their condition in a loop.
  virtual void WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv,
                                absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu) = 0;
};

// The wall clock (absl::Now, absl::SleepFor). Never destroyed, so threads
// still running at exit may use it.
Clock& RealClock();

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_CLOCK_H_
