#include "services/gateway/watch_limiter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/gateway/gateway_metrics.h"

namespace werf::gateway {

WatchLimiter::Slot::Slot(Slot&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)), transport_(std::move(other.transport_)) {}

WatchLimiter::Slot::~Slot() {
  if (limiter_ != nullptr) limiter_->Release(transport_);
}

absl::StatusOr<WatchLimiter::Slot> WatchLimiter::Acquire(absl::string_view transport) {
  {
    absl::MutexLock lock(&mu_);
    if (open_ >= max_watches_) {
      Metrics().watches_rejected.Increment();
      return absl::ResourceExhaustedError(absl::StrCat(
          "the gateway already serves ", max_watches_,
          " watches (--max_watches); retry later or ask another replica"));
    }
    ++open_;
  }
  Metrics().watches.Add({{"transport", std::string(transport)}}).Increment();
  return Slot(this, std::string(transport));
}

void WatchLimiter::Release(const std::string& transport) {
  Metrics().watches.Add({{"transport", transport}}).Decrement();
  absl::MutexLock lock(&mu_);
  --open_;
}

int WatchLimiter::open() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

}  // namespace werf::gateway
