#include "libs/oci/rate_limit.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"
#include "libs/oci/registry_throttle.h"

namespace werf::oci {
namespace {

using ::werf::common::testing::FakeClock;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2024, 3, 1, 12, 0, 0), absl::UTCTimeZone());

struct RetryAfterCase {
  std::string name{};
  std::string value{};
  std::optional<absl::Time> expected{};
};

class ParseRetryAfterTest : public ::testing::TestWithParam<RetryAfterCase> {};

TEST_P(ParseRetryAfterTest, Parses) { EXPECT_EQ(ParseRetryAfter(GetParam().value, kNow), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Values, ParseRetryAfterTest,
    ::testing::Values(
        RetryAfterCase{"Seconds", "120", kNow + absl::Seconds(120)},
        RetryAfterCase{"Zero", "0", kNow},
        RetryAfterCase{"SurroundingSpace", " 7 ", kNow + absl::Seconds(7)},
        RetryAfterCase{"ImfFixdate", "Fri, 01 Mar 2024 12:05:00 GMT", kNow + absl::Minutes(5)},
        RetryAfterCase{"Rfc850", "Friday, 01-Mar-24 12:00:30 GMT", kNow + absl::Seconds(30)},
        RetryAfterCase{"Asctime", "Fri Mar  1 13:00:00 2024", kNow + absl::Hours(1)},
        RetryAfterCase{"PastDateMeansNow", "Thu, 29 Feb 2024 12:00:00 GMT", kNow},
        RetryAfterCase{"Huge", "99999999999999999999", std::nullopt},
        RetryAfterCase{"Negative", "-5", std::nullopt},
        RetryAfterCase{"Fraction", "1.5", std::nullopt},
        RetryAfterCase{"Garbage", "soon", std::nullopt},
        RetryAfterCase{"Empty", "", std::nullopt}),
    [](const ::testing::TestParamInfo<RetryAfterCase>& info) { return info.param.name; });

TEST(ParseRetryAfterTest, ClampsAbsurdDelays) {
  std::optional<absl::Time> when = ParseRetryAfter("999999999999999", kNow);
  ASSERT_TRUE(when.has_value());
  EXPECT_GT(*when, kNow + absl::Hours(24 * 365));
}

TEST(ParseRateLimitTest, DockerHubAndDraftForms) {
  std::optional<RateLimitInfo> hub = ParseRateLimitInfo("76;w=21600", "100;w=21600");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->remaining, 76);
  EXPECT_EQ(hub->limit, 100);
  EXPECT_EQ(hub->window, absl::Hours(6));

  std::optional<RateLimitInfo> draft = ParseRateLimitInfo("5", "");
  ASSERT_TRUE(draft.has_value());
  EXPECT_EQ(draft->remaining, 5);
  EXPECT_EQ(draft->limit, std::nullopt);
  EXPECT_EQ(draft->window, std::nullopt);

  std::optional<RateLimitInfo> window_from_limit = ParseRateLimitInfo("0", "200;w=3600");
  ASSERT_TRUE(window_from_limit.has_value());
  EXPECT_EQ(window_from_limit->window, absl::Hours(1));

  EXPECT_EQ(ParseRateLimitInfo("", "100;w=21600"), std::nullopt);
  EXPECT_EQ(ParseRateLimitInfo("many", ""), std::nullopt);
  EXPECT_EQ(ParseRateLimitInfo("-1;w=1", ""), std::nullopt);
}

TEST(ParseRateLimitTest, IgnoresUnknownParameters) {
  std::optional<RateLimitQuota> quota = ParseRateLimitQuota("10; comment=\"x\"; w=60");
  ASSERT_TRUE(quota.has_value());
  EXPECT_EQ(quota->count, 10);
  EXPECT_EQ(quota->window, absl::Seconds(60));
}

TEST(RegistryThrottleTest, WaitsPerRegistryAndKeepsTheLaterDeadline) {
  FakeClock clock;
  RegistryThrottle throttle(clock);
  EXPECT_EQ(throttle.NotBefore("docker.io"), std::nullopt);
  throttle.Defer("docker.io", clock.Now() + absl::Seconds(60));
  throttle.Defer("docker.io", clock.Now() + absl::Seconds(10));  // earlier: ignored
  EXPECT_EQ(throttle.NotBefore("docker.io"), clock.Now() + absl::Seconds(60));
  EXPECT_EQ(throttle.NotBefore("ghcr.io"), std::nullopt);
  clock.Advance(absl::Seconds(60));
  EXPECT_EQ(throttle.NotBefore("docker.io"), std::nullopt);
}

}  // namespace
}  // namespace werf::oci
