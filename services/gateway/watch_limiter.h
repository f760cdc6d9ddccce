// The cap on concurrent watches (--max_watches), shared by gRPC and SSE: each open
// watch holds a thread and a cursor, so their number must be bounded.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_WATCH_LIMITER_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_WATCH_LIMITER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace werf::gateway {

class WatchLimiter {
 public:
  // Releases its place when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    friend class WatchLimiter;
    Slot(WatchLimiter* limiter, std::string transport)
        : limiter_(limiter), transport_(std::move(transport)) {}
    WatchLimiter* limiter_;
    std::string transport_;
  };

  explicit WatchLimiter(int max_watches) : max_watches_(max_watches) {}

  // ResourceExhausted when --max_watches watches are open.
  absl::StatusOr<Slot> Acquire(absl::string_view transport) ABSL_LOCKS_EXCLUDED(mu_);
  int open() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Release(const std::string& transport) ABSL_LOCKS_EXCLUDED(mu_);

  const int max_watches_;
  mutable absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_WATCH_LIMITER_H_
