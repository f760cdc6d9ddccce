#include "libs/kube/client_rate_limiter.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace werf::kube {

ClientRateLimiter::ClientRateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)) {}

void ClientRateLimiter::RefillLocked(absl::Time now) {
  if (last_ != absl::InfinitePast() && now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
  }
  if (last_ == absl::InfinitePast() || now > last_) last_ = now;
}

bool ClientRateLimiter::TryAcquire(absl::Time now) {
  if (qps_ <= 0) return true;
  absl::MutexLock lock(&mu_);
  RefillLocked(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

absl::Duration ClientRateLimiter::Reserve(absl::Time now) {
  if (qps_ <= 0) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  RefillLocked(now);
  // Tokens may go negative: each waiter owns the slot it reserved, in order.
  tokens_ -= 1;
  if (tokens_ >= 0) return absl::ZeroDuration();
  return absl::Seconds(-tokens_ / qps_);
}

void ClientRateLimiter::Wait() {
  const absl::Duration delay = Reserve(absl::Now());
  if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
}

}  // namespace werf::kube
