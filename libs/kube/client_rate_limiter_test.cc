#include "libs/kube/client_rate_limiter.h"

#include "gtest/gtest.h"

namespace werf::kube {
namespace {

TEST(ClientRateLimiterTest, BurstThenPacedAtQps) {
  ClientRateLimiter limiter(/*qps=*/10, /*burst=*/3);
  const absl::Time t0 = absl::UnixEpoch() + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Reserve(t0), absl::ZeroDuration());
  EXPECT_EQ(limiter.Reserve(t0), absl::Milliseconds(100));
  EXPECT_EQ(limiter.Reserve(t0), absl::Milliseconds(200));
  // After a quiet second the bucket is full again, but never above the burst.
  const absl::Time later = t0 + absl::Seconds(10);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Reserve(later), absl::ZeroDuration());
  EXPECT_GT(limiter.Reserve(later), absl::ZeroDuration());
}

TEST(ClientRateLimiterTest, DisabledWithZeroQps) {
  ClientRateLimiter limiter(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Reserve(absl::Now()), absl::ZeroDuration());
}

}  // namespace
}  // namespace werf::kube
