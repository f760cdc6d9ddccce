#include "libs/oci/clock.h"

#include "absl/time/clock.h"

namespace werf::oci {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  void SleepFor(absl::Duration duration) const override { absl::SleepFor(duration); }
};

}  // namespace

const Clock& Clock::Real() {
  // Leaked on purpose: callers on other threads may still read it during exit.
  static const RealClock* const clock = new RealClock();
  return *clock;
}

}  // namespace werf::oci
