#include "libs/kube/client_rate_limiter.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"

namespace werf::kube {
namespace {

// The bucket's arithmetic is tested in libs/common/token_bucket_test.cc; this
// is only the waiting on top of it.
TEST(ClientRateLimiterTest, WaitSleepsOnItsClockUntilTheReservedToken) {
  common::testing::FakeClock clock;
  ClientRateLimiter limiter(/*qps=*/10, /*burst=*/2, clock);
  const absl::Time start = clock.Now();
  limiter.Wait();
  limiter.Wait();
  EXPECT_EQ(clock.Now(), start) << "the burst is there at once";
  limiter.Wait();
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(100));
  limiter.Wait();
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(200));
}

TEST(ClientRateLimiterTest, ZeroQpsNeverWaits) {
  common::testing::FakeClock clock;
  ClientRateLimiter limiter(/*qps=*/0, /*burst=*/1, clock);
  const absl::Time start = clock.Now();
  for (int i = 0; i < 1000; ++i) limiter.Wait();
  EXPECT_EQ(clock.Now(), start);
}

}  // namespace
}  // namespace werf::kube
