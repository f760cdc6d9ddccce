// Client-side request limiter (client-go's flowcontrol token bucket): at most
// `qps` requests per second on average, with bursts up to `burst`. Wait() blocks
// the caller until a token is available, so a hot loop cannot flood the API server.
#ifndef WERF_OPERATOR_LIBS_KUBE_CLIENT_RATE_LIMITER_H_
#define WERF_OPERATOR_LIBS_KUBE_CLIENT_RATE_LIMITER_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace werf::kube {

class ClientRateLimiter {
 public:
  // qps <= 0 disables limiting.
  ClientRateLimiter(double qps, int burst);

  // Reserves a token and returns how long the caller must wait for it (zero if none).
  absl::Duration Reserve(absl::Time now);
  // Reserve(now) and sleep.
  void Wait();
  // Takes a token if one is there now; false (and nothing taken) otherwise. For
  // callers that refuse rather than wait (a webhook receiver answering 429).
  bool TryAcquire(absl::Time now);

 private:
  void RefillLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double qps_;
  const double burst_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_CLIENT_RATE_LIMITER_H_
