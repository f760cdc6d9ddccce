// A token bucket: tokens accrue at `rate` per second up to `burst`, and each
// admitted call takes one. The one copy of this arithmetic in the tree: the
// Kubernetes client's QPS/burst (libs/kube/client_rate_limiter.h waits on it),
// the work queue's overall retry rate, the poller's per-registry poll budget,
// the webhook receiver's per-source 429s and the event recorder's per-object
// spam filter.
//
// Time is passed in rather than read, so the bucket is plain arithmetic: tests
// need no clock, and callers with a common::Clock pass clock.Now().
//
//   common::TokenBucket bucket(/*rate=*/10, /*burst=*/100);
//   if (!bucket.TryAcquire(clock.Now())) return TooManyRequests();   // refuse
//   clock.SleepFor(bucket.Reserve(clock.Now()));                      // or wait
#ifndef WERF_OPERATOR_LIBS_COMMON_TOKEN_BUCKET_H_
#define WERF_OPERATOR_LIBS_COMMON_TOKEN_BUCKET_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace werf::common {

// Thread-safe. Starts full. Time that goes backwards adds no tokens (and is
// not remembered), so an out-of-order `now` from a racing caller is harmless.
class TokenBucket {
 public:
  // `rate` <= 0 (or NaN) disables limiting: every call is admitted at once.
  // A `burst` below 1 is taken as 1.
  TokenBucket(double rate, int burst);

  TokenBucket(const TokenBucket&) = delete;
  TokenBucket& operator=(const TokenBucket&) = delete;

  // Takes a token if one is there at `now`; false, and nothing taken,
  // otherwise. For callers that refuse rather than wait.
  bool TryAcquire(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // Takes a token, possibly one that has not accrued yet, and returns how long
  // after `now` it will have (zero if it was there). The balance may go
  // negative: each caller owns the slot it reserved, so waiters are paced in
  // the order they reserved.
  absl::Duration Reserve(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void RefillLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const bool unlimited_;
  const double rate_;
  const double burst_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  // When tokens_ was last brought up to date; InfinitePast until first use.
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_TOKEN_BUCKET_H_
