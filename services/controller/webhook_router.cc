#include "services/controller/webhook_router.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace werf::controller {

absl::StatusOr<std::unique_ptr<WebhookRouter>> WebhookRouter::Create(
    Options options, std::function<void(const std::string&)> poll_now) {
  if (options.quiet <= absl::ZeroDuration() || options.max_delay < options.quiet) {
    return absl::InvalidArgumentError("webhook coalescing needs 0 < quiet <= max_delay");
  }
  return std::unique_ptr<WebhookRouter>(new WebhookRouter(options, std::move(poll_now)));
}

WebhookRouter::WebhookRouter(Options options, std::function<void(const std::string&)> poll_now)
    : options_(options),
      clock_(options.clock != nullptr ? *options.clock : common::RealClock()),
      poll_now_(std::move(poll_now)) {
  worker_ = std::thread([this] { Run(); });
}

WebhookRouter::~WebhookRouter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;  // pending polls are dropped: the normal schedule covers them
  }
  changed_.SignalAll();
  worker_.join();
}

void WebhookRouter::Route(const std::string& key) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = pending_.try_emplace(key, Pending{.first_event = now, .due = now + options_.quiet});
    if (!inserted) it->second.due = std::min(now + options_.quiet, it->second.first_event + options_.max_delay);
  }
  changed_.Signal();
}

void WebhookRouter::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = clock_.Now();
    std::vector<std::string> due;
    absl::Time next = absl::InfiniteFuture();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.due <= now) {
        due.push_back(it->first);
        it = pending_.erase(it);
      } else {
        next = std::min(next, it->second.due);
        ++it;
      }
    }
    if (due.empty()) {
      clock_.WaitWithDeadline(&mu_, &changed_, next);
      continue;
    }
    // Outside the lock: the hub takes its own, and events keep arriving meanwhile.
    mu_.Unlock();
    for (const std::string& key : due) poll_now_(key);
    mu_.Lock();
  }
}

}  // namespace werf::controller
