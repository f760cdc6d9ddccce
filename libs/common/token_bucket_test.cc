#include "libs/common/token_bucket.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace werf::common {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// One call on the bucket, `at` after kStart.
struct Step {
  enum Op { kReserve, kTryAcquire };
  absl::Duration at = absl::ZeroDuration();
  Op op = kReserve;
  absl::Duration wait = absl::ZeroDuration();  // kReserve: the expected wait
  bool admitted = false;                        // kTryAcquire: the expected answer
};

Step Reserve(absl::Duration at, absl::Duration wait) {
  return {.at = at, .op = Step::kReserve, .wait = wait, .admitted = false};
}
Step Try(absl::Duration at, bool admitted) {
  return {.at = at, .op = Step::kTryAcquire, .wait = absl::ZeroDuration(), .admitted = admitted};
}

struct BucketCase {
  std::string name{};
  double rate = 0;
  int burst = 0;
  std::vector<Step> steps{};
};

class TokenBucketTest : public ::testing::TestWithParam<BucketCase> {};

TEST_P(TokenBucketTest, Steps) {
  const BucketCase& c = GetParam();
  TokenBucket bucket(c.rate, c.burst);
  for (size_t i = 0; i < c.steps.size(); ++i) {
    const Step& step = c.steps[i];
    const std::string where = absl::StrCat("step ", i, " at +", absl::FormatDuration(step.at));
    if (step.op == Step::kReserve) {
      EXPECT_EQ(bucket.Reserve(kStart + step.at), step.wait) << where;
    } else {
      EXPECT_EQ(bucket.TryAcquire(kStart + step.at), step.admitted) << where;
    }
  }
}

const absl::Duration k0 = absl::ZeroDuration();

INSTANTIATE_TEST_SUITE_P(
    Cases, TokenBucketTest,
    ::testing::Values(
        // Full at first; then paced at the rate, each reservation behind the last.
        BucketCase{"BurstThenPacedAtRate", 10, 3,
                   {Reserve(k0, k0), Reserve(k0, k0), Reserve(k0, k0),
                    Reserve(k0, absl::Milliseconds(100)), Reserve(k0, absl::Milliseconds(200)),
                    // A quiet spell refills the bucket, but never above the burst.
                    Reserve(absl::Seconds(10), k0), Reserve(absl::Seconds(10), k0),
                    Reserve(absl::Seconds(10), k0),
                    Reserve(absl::Seconds(10), absl::Milliseconds(100))}},
        BucketCase{"TryAcquireRefusesWithoutTakingAToken", 2, 2,
                   {Try(k0, true), Try(k0, true), Try(k0, false), Try(k0, false), Try(k0, false),
                    // Refusals cost nothing: one token back after 1/rate.
                    Try(absl::Milliseconds(500), true), Try(absl::Milliseconds(500), false)}},
        // A token reserved for the future is owed: it is not there to be taken
        // until the debt is repaid.
        BucketCase{"ReserveInTheFutureIsOwed", 10, 1,
                   {Reserve(k0, k0), Reserve(k0, absl::Milliseconds(100)),
                    Try(absl::Milliseconds(100), false), Try(absl::Milliseconds(150), false),
                    Try(absl::Milliseconds(250), true)}},
        BucketCase{"RefillAccruesFractions", 4, 1,
                   {Try(k0, true), Try(absl::Milliseconds(100), false),
                    Try(absl::Milliseconds(200), false), Try(absl::Milliseconds(300), true)}},
        BucketCase{"RefillIsCappedAtBurst", 100, 2,
                   {Try(k0, true), Try(k0, true), Try(k0, false), Try(absl::Hours(1), true),
                    Try(absl::Hours(1), true), Try(absl::Hours(1), false)}},
        BucketCase{"TimeGoingBackwardsAddsNothing", 1, 1,
                   {Try(absl::Seconds(10), true), Try(absl::Seconds(5), false),
                    Try(absl::Seconds(10), false), Try(absl::Seconds(11), true)}},
        BucketCase{"BurstBelowOneIsOne", 1, 0, {Try(k0, true), Try(k0, false), Try(absl::Seconds(1), true)}},
        BucketCase{"ZeroRateDisablesLimiting", 0, 1,
                   {Reserve(k0, k0), Reserve(k0, k0), Reserve(k0, k0), Try(k0, true), Try(k0, true)}},
        BucketCase{"NegativeRateDisablesLimiting", -1, 1, {Try(k0, true), Try(k0, true), Reserve(k0, k0)}}),
    [](const ::testing::TestParamInfo<BucketCase>& info) { return info.param.name; });

TEST(TokenBucketConcurrencyTest, ConcurrentCallersShareOneBurst) {
  TokenBucket bucket(/*rate=*/1, /*burst=*/50);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (bucket.TryAcquire(kStart)) admitted.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 50);
}

}  // namespace
}  // namespace werf::common
