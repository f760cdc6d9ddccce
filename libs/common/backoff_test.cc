#include "libs/common/backoff.h"

#include <climits>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::common {
namespace {

using ::testing::HasSubstr;
using Jitter = BackoffOptions::Jitter;

// A fixed seed keeps every run identical; the tolerances below hold for any
// seed by a wide margin.
constexpr uint64_t kSeed = 20240601;

ExponentialBackoff MustCreate(const BackoffOptions& options,
                              std::mt19937_64& gen) {
  absl::StatusOr<ExponentialBackoff> b =
      ExponentialBackoff::Create(options, gen);
  EXPECT_TRUE(b.ok()) << b.status();
  return std::move(b).value();  // Throws, failing the test, if not ok.
}

// Options are assigned field by field: g++ 12 -Wextra rejects designated
// initializers that omit trailing fields.
BackoffOptions Options(absl::Duration initial, absl::Duration max,
                       Jitter jitter = Jitter::kFull) {
  BackoffOptions options;
  options.initial = initial;
  options.max = max;
  options.jitter = jitter;
  return options;
}

BackoffOptions NoJitter(absl::Duration initial, absl::Duration max) {
  return Options(initial, max, Jitter::kNone);
}

TEST(ExponentialBackoffTest, WithoutJitterDoublesThenCaps) {
  std::mt19937_64 gen(kSeed);
  ExponentialBackoff b =
      MustCreate(NoJitter(absl::Seconds(1), absl::Seconds(10)), gen);
  const std::vector<absl::Duration> want = {
      absl::Seconds(1), absl::Seconds(2),  absl::Seconds(4),
      absl::Seconds(8), absl::Seconds(10), absl::Seconds(10)};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(b.attempts(), static_cast<int>(i));
    EXPECT_EQ(b.Ceiling(), want[i]) << "attempt " << i;
    EXPECT_EQ(b.Next(), want[i]) << "attempt " << i;
  }
}

TEST(ExponentialBackoffTest, HonoursMultiplier) {
  std::mt19937_64 gen(kSeed);
  BackoffOptions options = NoJitter(absl::Milliseconds(100), absl::Seconds(1));
  options.multiplier = 1.5;
  ExponentialBackoff b = MustCreate(options, gen);
  EXPECT_EQ(b.Next(), absl::Milliseconds(100));
  EXPECT_EQ(b.Next(), absl::Milliseconds(150));
  EXPECT_EQ(b.Next(), absl::Milliseconds(225));

  options.multiplier = 1;
  ExponentialBackoff constant = MustCreate(options, gen);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(constant.Next(), absl::Milliseconds(100));
}

TEST(ExponentialBackoffTest, FullJitterStaysWithinCeilingAndCap) {
  std::mt19937_64 gen(kSeed);
  ExponentialBackoff b =
      MustCreate(Options(absl::Milliseconds(10), absl::Seconds(5)), gen);
  for (int i = 0; i < 5000; ++i) {
    const absl::Duration ceiling = b.Ceiling();
    const absl::Duration d = b.Next();
    ASSERT_GE(d, absl::ZeroDuration()) << "attempt " << i;
    ASSERT_LE(d, ceiling) << "attempt " << i;
    ASSERT_LE(d, absl::Seconds(5)) << "attempt " << i;
  }
  EXPECT_EQ(b.Ceiling(), absl::Seconds(5));
}

TEST(ExponentialBackoffTest, ThousandsOfAttemptsDoNotOverflow) {
  std::mt19937_64 gen(kSeed);
  for (double multiplier : {2.0, 10.0, 1e300}) {
    BackoffOptions options = NoJitter(absl::Nanoseconds(1), absl::Hours(1));
    options.multiplier = multiplier;
    ExponentialBackoff b = MustCreate(options, gen);
    for (int i = 0; i < 10000; ++i) ASSERT_LE(b.Next(), absl::Hours(1));
    EXPECT_EQ(b.Next(), absl::Hours(1)) << "multiplier " << multiplier;
    EXPECT_EQ(b.attempts(), 10001);
  }
}

TEST(ExponentialBackoffTest, FullJitterIsUniformUpToTheCeiling) {
  std::mt19937_64 gen(kSeed);
  // initial == max pins the ceiling, so every draw shares one range.
  const absl::Duration ceiling = absl::Seconds(10);
  ExponentialBackoff b = MustCreate(Options(ceiling, ceiling), gen);

  constexpr int kDraws = 10000;
  constexpr int kBuckets = 10;
  std::array<int, kBuckets> histogram = {};
  absl::Duration min = absl::InfiniteDuration();
  absl::Duration max = absl::ZeroDuration();
  absl::Duration sum;
  for (int i = 0; i < kDraws; ++i) {
    const absl::Duration d = b.Next();
    min = std::min(min, d);
    max = std::max(max, d);
    sum += d;
    ++histogram[std::min<int64_t>(kBuckets - 1, d * kBuckets / ceiling)];
  }
  EXPECT_LT(min, ceiling / 100);
  EXPECT_GT(max, ceiling * 0.99);
  // The mean's standard error is ceiling / sqrt(12 * kDraws), about 0.3% of
  // the ceiling; allow 2%.
  const absl::Duration mean = sum / kDraws;
  EXPECT_NEAR(absl::ToDoubleSeconds(mean), absl::ToDoubleSeconds(ceiling) / 2,
              absl::ToDoubleSeconds(ceiling) * 0.02);
  // Each bucket expects 1000 draws with a standard deviation of 30.
  for (int i = 0; i < kBuckets; ++i) {
    EXPECT_NEAR(histogram[i], kDraws / kBuckets, 150) << "bucket " << i;
  }
}

TEST(ExponentialBackoffTest, OwnGeneratorJittersWithinBounds) {
  absl::StatusOr<ExponentialBackoff> b =
      ExponentialBackoff::Create(Options(absl::Seconds(1), absl::Seconds(4)));
  ASSERT_TRUE(b.ok()) << b.status();
  // Moving must keep the owned generator usable.
  ExponentialBackoff moved = *std::move(b);
  for (int i = 0; i < 100; ++i) {
    const absl::Duration d = moved.Next();
    EXPECT_GE(d, absl::ZeroDuration());
    EXPECT_LE(d, absl::Seconds(4));
  }
}

TEST(ExponentialBackoffTest, ResetStartsOver) {
  std::mt19937_64 gen(kSeed);
  ExponentialBackoff b =
      MustCreate(NoJitter(absl::Seconds(1), absl::Minutes(1)), gen);
  for (int i = 0; i < 4; ++i) b.Next();
  EXPECT_EQ(b.attempts(), 4);
  EXPECT_EQ(b.Ceiling(), absl::Seconds(16));
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.Ceiling(), absl::Seconds(1));
  EXPECT_EQ(b.Next(), absl::Seconds(1));
  EXPECT_EQ(b.Next(), absl::Seconds(2));
}

// ---------------------------------------------------------------------------
// reset_after.

class ResetAfterTest : public testing::Test {
 protected:
  static BackoffOptions ResetAfterTwoMinutes() {
    BackoffOptions options = NoJitter(absl::Seconds(1), absl::Minutes(1));
    options.reset_after = absl::Minutes(2);
    return options;
  }

  ResetAfterTest()
      : gen_(kSeed), backoff_(MustCreate(ResetAfterTwoMinutes(), gen_)) {}

  std::mt19937_64 gen_;
  ExponentialBackoff backoff_;
  const absl::Time t0_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(ResetAfterTest, ShortLivedAttemptsKeepBackingOff) {
  absl::Time now = t0_;
  for (absl::Duration want :
       {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4)}) {
    const absl::Duration delay = backoff_.Next(now);
    EXPECT_EQ(delay, want);
    // The next attempt starts after the delay and fails 90s later.
    now += delay + absl::Seconds(90);
  }
  EXPECT_EQ(backoff_.attempts(), 3);
}

TEST_F(ResetAfterTest, AttemptHealthyForResetAfterStartsOver) {
  backoff_.Next(t0_);
  const absl::Duration delay = backoff_.Next(t0_ + absl::Seconds(5));
  ASSERT_EQ(delay, absl::Seconds(2));
  // Healthy from t0 + 5s + delay for exactly reset_after: that is enough.
  const absl::Time failed = t0_ + absl::Seconds(5) + delay + absl::Minutes(2);
  EXPECT_EQ(backoff_.Next(failed), absl::Seconds(1));
  EXPECT_EQ(backoff_.attempts(), 1);
}

TEST_F(ResetAfterTest, TimeSpentWaitingDoesNotCountAsHealthy) {
  // Ceiling 1m: the delay alone covers half of reset_after.
  for (int i = 0; i < 7; ++i) backoff_.Next(t0_);
  const absl::Duration delay = backoff_.Next(t0_);
  ASSERT_EQ(delay, absl::Minutes(1));
  // 2m after the Next() call, but only 1m after the attempt started.
  EXPECT_EQ(backoff_.Next(t0_ + absl::Minutes(2)), absl::Minutes(1));
  EXPECT_EQ(backoff_.attempts(), 9);
}

TEST_F(ResetAfterTest, NextWithoutTimeForgetsWhenTheAttemptStarted) {
  backoff_.Next(t0_);
  backoff_.Next();
  EXPECT_EQ(backoff_.Next(t0_ + absl::Hours(1)), absl::Seconds(4));
}

TEST(ExponentialBackoffTest, NextWithTimeNeverResetsWithoutResetAfter) {
  std::mt19937_64 gen(kSeed);
  ExponentialBackoff b =
      MustCreate(NoJitter(absl::Seconds(1), absl::Minutes(1)), gen);
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  b.Next(t0);
  EXPECT_EQ(b.Next(t0 + absl::Hours(24)), absl::Seconds(2));
}

// ---------------------------------------------------------------------------
// Invalid options.

struct InvalidCase {
  std::string name;
  void (*break_options)(BackoffOptions&);
  std::string detail;
};
void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

class InvalidOptionsTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidOptionsTest, IsRejected) {
  const InvalidCase& c = GetParam();
  BackoffOptions options;
  c.break_options(options);
  const auto expect_rejected = [&c](const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("invalid backoff options: " + c.detail));
  };
  expect_rejected(ExponentialBackoff::Create(options).status());
  std::mt19937_64 gen(kSeed);
  expect_rejected(ExponentialBackoff::Create(options, gen).status());
}

INSTANTIATE_TEST_SUITE_P(
    Backoff, InvalidOptionsTest,
    testing::Values(
        InvalidCase{"ZeroInitial",
                    [](BackoffOptions& o) { o.initial = absl::ZeroDuration(); },
                    "initial must be positive, got 0"},
        InvalidCase{"NegativeInitial",
                    [](BackoffOptions& o) { o.initial = -absl::Seconds(1); },
                    "initial must be positive, got -1s"},
        InvalidCase{"MaxBelowInitial",
                    [](BackoffOptions& o) {
                      o.initial = absl::Seconds(2);
                      o.max = absl::Seconds(1);
                    },
                    "max must be between initial (2s) and 2562047h47m16."},
        InvalidCase{"InfiniteMax",
                    [](BackoffOptions& o) { o.max = absl::InfiniteDuration(); },
                    "max must be between initial (1s) and 2562047h47m16."},
        InvalidCase{"ShrinkingMultiplier",
                    [](BackoffOptions& o) { o.multiplier = 0.5; },
                    "multiplier must be finite and at least 1, got 0.5"},
        InvalidCase{"NanMultiplier",
                    [](BackoffOptions& o) { o.multiplier = std::nan(""); },
                    "multiplier must be finite and at least 1, got nan"},
        InvalidCase{"InfiniteMultiplier",
                    [](BackoffOptions& o) {
                      o.multiplier = std::numeric_limits<double>::infinity();
                    },
                    "multiplier must be finite and at least 1, got inf"},
        InvalidCase{
            "ZeroResetAfter",
            [](BackoffOptions& o) { o.reset_after = absl::ZeroDuration(); },
            "reset_after must be positive when set, got 0"}),
    [](const testing::TestParamInfo<InvalidCase>& info) {
      return info.param.name;
    });

struct CappedDelayCase {
  int failures;
  absl::Duration want;
};

TEST(CappedExponentialDelayTest, DoublesPerFailureFromBaseUpToTheCap) {
  const CappedDelayCase cases[] = {
      {0, absl::Seconds(30)},  {1, absl::Seconds(30)}, {2, absl::Minutes(1)},
      {3, absl::Minutes(2)},   {5, absl::Minutes(8)},  {6, absl::Minutes(10)},
      {1000000, absl::Minutes(10)}, {INT_MAX, absl::Minutes(10)},
  };
  for (const CappedDelayCase& c : cases) {
    EXPECT_EQ(CappedExponentialDelay(absl::Seconds(30), absl::Minutes(10), c.failures), c.want)
        << "failures=" << c.failures;
  }
}

TEST(CappedExponentialDelayTest, ABaseAboveTheCapIsCapped) {
  EXPECT_EQ(CappedExponentialDelay(absl::Minutes(20), absl::Minutes(10), 1), absl::Minutes(10));
}

}  // namespace
}  // namespace werf::common
