// A manually advanced Clock for tests; SleepFor advances it instead of sleeping.
#ifndef WERF_OPERATOR_LIBS_OCI_TESTING_FAKE_CLOCK_H_
#define WERF_OPERATOR_LIBS_OCI_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/oci/clock.h"

namespace werf::oci::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  // Sleeping is time passing; Clock's interface makes it const.
  void SleepFor(absl::Duration duration) const override {
    absl::MutexLock lock(&mu_);
    now_ += duration;
  }

  void Advance(absl::Duration duration) { SleepFor(duration); }

 private:
  mutable absl::Mutex mu_;
  mutable absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::oci::testing

#endif  // WERF_OPERATOR_LIBS_OCI_TESTING_FAKE_CLOCK_H_
