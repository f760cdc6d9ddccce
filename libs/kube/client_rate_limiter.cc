#include "libs/kube/client_rate_limiter.h"

namespace werf::kube {

ClientRateLimiter::ClientRateLimiter(double qps, int burst, common::Clock& clock)
    : clock_(clock), bucket_(qps, burst) {}

void ClientRateLimiter::Wait() {
  const absl::Duration delay = bucket_.Reserve(clock_.Now());
  if (delay > absl::ZeroDuration()) clock_.SleepFor(delay);
}

}  // namespace werf::kube
