#include "libs/common/clock.h"

#include "absl/time/clock.h"

namespace werf::common {
namespace {

class SystemClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void SleepFor(absl::Duration duration) override { absl::SleepFor(duration); }
  void WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv,
                        absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(*mu) {
    cv->WaitWithDeadline(mu, deadline);
  }
};

}  // namespace

Clock& RealClock() {
  // Leaked on purpose: callers on other threads may still read it during exit.
  static SystemClock* const clock = new SystemClock();
  return *clock;
}

}  // namespace werf::common
