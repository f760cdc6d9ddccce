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

TEST(ClientRateLimiterTest, TryAcquireRefusesWithoutTakingAToken) {
  ClientRateLimiter limiter(/*qps=*/2, /*burst=*/2);
  const absl::Time t0 = absl::UnixEpoch() + absl::Hours(1);
  EXPECT_TRUE(limiter.TryAcquire(t0));
  EXPECT_TRUE(limiter.TryAcquire(t0));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.TryAcquire(t0)) << "refusals cost nothing";
  EXPECT_TRUE(limiter.TryAcquire(t0 + absl::Milliseconds(500))) << "one token back after 1/qps";
  EXPECT_FALSE(limiter.TryAcquire(t0 + absl::Milliseconds(500)));
}

TEST(ClientRateLimiterTest, DisabledWithZeroQps) {
  ClientRateLimiter limiter(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Reserve(absl::Now()), absl::ZeroDuration());
}

}  // namespace
}  // namespace werf::kube
