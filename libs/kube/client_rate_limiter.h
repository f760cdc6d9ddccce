// Client-side request limiter (client-go's flowcontrol token bucket): at most
// `qps` requests per second on average, with bursts up to `burst`. Wait() blocks
// the caller until a token is available, so a hot loop cannot flood the API
// server. The arithmetic is common::TokenBucket's; this adds the waiting.
#ifndef WERF_OPERATOR_LIBS_KUBE_CLIENT_RATE_LIMITER_H_
#define WERF_OPERATOR_LIBS_KUBE_CLIENT_RATE_LIMITER_H_

#include "libs/common/clock.h"
#include "libs/common/token_bucket.h"

namespace werf::kube {

// Thread-safe.
class ClientRateLimiter {
 public:
  // qps <= 0 disables limiting. `clock` must outlive the limiter.
  ClientRateLimiter(double qps, int burst, common::Clock& clock = common::RealClock());

  // Reserves a token and sleeps (on the clock) until it is due.
  void Wait();

 private:
  common::Clock& clock_;
  common::TokenBucket bucket_;
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_CLIENT_RATE_LIMITER_H_
