#include "libs/common/token_bucket.h"

#include <algorithm>

namespace werf::common {

TokenBucket::TokenBucket(double rate, int burst)
    : unlimited_(!(rate > 0)),
      rate_(rate),
      burst_(std::max(1, burst)),
      tokens_(std::max(1, burst)) {}

void TokenBucket::RefillLocked(absl::Time now) {
  if (last_ == absl::InfinitePast()) {
    last_ = now;
    return;
  }
  if (now <= last_) return;
  tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
  last_ = now;
}

bool TokenBucket::TryAcquire(absl::Time now) {
  if (unlimited_) return true;
  absl::MutexLock lock(&mu_);
  RefillLocked(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

absl::Duration TokenBucket::Reserve(absl::Time now) {
  if (unlimited_) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  RefillLocked(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return absl::ZeroDuration();
  return absl::Seconds(-tokens_ / rate_);
}

}  // namespace werf::common
