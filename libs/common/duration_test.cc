#include "libs/common/duration.h"

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::common {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMaxNanos = std::numeric_limits<int64_t>::max();

// gMock's string matchers want std::string, and Debian's absl::string_view is
// not std::string_view.
std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

// ---------------------------------------------------------------------------
// Parsing. The valid cases are Go's own parseDurationTests (time_test.go),
// minus the negative ones.

struct ParseCase {
  std::string text;
  absl::Duration want;
};
void PrintTo(const ParseCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class ParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(ParseTest, ParsesLikeGo) {
  const ParseCase& c = GetParam();
  absl::StatusOr<absl::Duration> d = ParseGoDuration(c.text);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, c.want) << "got " << absl::ToInt64Nanoseconds(*d) << "ns";
}

const ParseCase kParseCases[] = {
    {"0", absl::ZeroDuration()},
    {"+0", absl::ZeroDuration()},
    {"0s", absl::ZeroDuration()},
    {"5s", absl::Seconds(5)},
    {"30s", absl::Seconds(30)},
    {"90s", absl::Seconds(90)},
    {"1478s", absl::Seconds(1478)},
    {"+5s", absl::Seconds(5)},
    {"5.0s", absl::Seconds(5)},
    {"5.6s", absl::Seconds(5) + absl::Milliseconds(600)},
    {"5.s", absl::Seconds(5)},
    {".5s", absl::Milliseconds(500)},
    {"1.00s", absl::Seconds(1)},
    {"1.004s", absl::Seconds(1) + absl::Milliseconds(4)},
    {"1.0040s", absl::Seconds(1) + absl::Milliseconds(4)},
    {"100.00100s", absl::Seconds(100) + absl::Milliseconds(1)},
    {"10ns", absl::Nanoseconds(10)},
    {"11us", absl::Microseconds(11)},
    {"12\u00b5s", absl::Microseconds(12)},  // Micro sign.
    {"12\u03bcs", absl::Microseconds(12)},  // Greek mu.
    {"13ms", absl::Milliseconds(13)},
    {"300ms", absl::Milliseconds(300)},
    {"15m", absl::Minutes(15)},
    {"16h", absl::Hours(16)},
    {"1.5h", absl::Minutes(90)},
    {"1h30m", absl::Minutes(90)},
    {"3h30m", absl::Minutes(210)},
    {"10.5s4m", absl::Minutes(4) + absl::Milliseconds(10500)},
    {"1h2m3s4ms5us6ns", absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3) +
                            absl::Milliseconds(4) + absl::Microseconds(5) +
                            absl::Nanoseconds(6)},
    {"39h9m14.425s",
     absl::Hours(39) + absl::Minutes(9) + absl::Milliseconds(14425)},
    {"52763797000ns", absl::Nanoseconds(52763797000)},
    // Go evaluates fractions in float64; this is 20m there too.
    {"0.3333333333333333333h", absl::Minutes(20)},
    {"9007199254740993ns", absl::Nanoseconds((int64_t{1} << 53) + 1)},
    {"9223372036854775807ns", absl::Nanoseconds(kMaxNanos)},
    {"9223372036854775.807us", absl::Nanoseconds(kMaxNanos)},
    {"9223372036s854ms775us807ns", absl::Nanoseconds(kMaxNanos)},
    {"0.100000000000000000000h", absl::Minutes(6)},
    // Exercises the first overflow check of the fraction.
    {"0.830103483285477580700h",
     absl::Minutes(49) + absl::Seconds(48) + absl::Nanoseconds(372539827)},
};

INSTANTIATE_TEST_SUITE_P(Go, ParseTest, testing::ValuesIn(kParseCases));

struct InvalidCase {
  std::string text;
  std::string detail;  // Expected somewhere in the message.
};
void PrintTo(const InvalidCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class InvalidParseTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidParseTest, IsRejectedWithQuotedInput) {
  const InvalidCase& c = GetParam();
  absl::StatusOr<absl::Duration> d = ParseGoDuration(c.text);
  ASSERT_FALSE(d.ok()) << "parsed as " << *d;
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(d.status()),
              StartsWith(absl::StrCat("invalid duration \"",
                                      absl::CHexEscape(c.text), "\": ")));
  EXPECT_THAT(Message(d.status()), HasSubstr(c.detail));
}

const InvalidCase kInvalidParseCases[] = {
    {"", "empty string"},
    {"15", "missing unit after \"15\"; write e.g. \"15s\" or \"15m\""},
    {"1h15", "write e.g. \"1h15s\" or \"1h15m\""},
    {"1.5", "missing unit after \"1.5\""},
    {"1.5.5s", "missing unit after \"1.5\""},
    {"00", "missing unit"},
    {"-1m", "negative durations are not allowed"},
    {"-0", "negative durations are not allowed"},
    {"-", "negative durations are not allowed"},
    {"1d",
     "unknown unit \"d\" (want ns, us, \u00b5s, ms, s, m or h; "
     "there are no days, write e.g. \"24h\")"},
    {"1y", "unknown unit \"y\""},
    {"1H", "unknown unit \"H\""},
    {"12\u00b5", "unknown unit \"\\xc2\\xb5\""},
    {"1h 30m", "unknown unit \"h \""},
    {"+", "expected a number after \"+\""},
    {"s", "expected a number at \"s\""},
    {".", "expected a number at \".\""},
    {".s", "expected a number at \".s\""},
    {"+.s", "expected a number"},
    {" 1s", "expected a number at \" 1s\""},
    {"1s ", "unknown unit \"s \""},
    {"\x85\x85", "expected a number at \"\\x85\\x85\""},
    {"9223372036854775808ns",
     "exceeds the maximum duration "
     "2562047h47m16.854775807s"},
    {"9223372036854775810ns", "exceeds the maximum"},
    {"9223372036854775.808us", "exceeds the maximum"},
    {"9223372036854ms775us808ns", "exceeds the maximum"},
    {"2562048h", "exceeds the maximum"},
    {"99999999999999999999s", "exceeds the maximum"},
    {"2562047h47m17s", "exceeds the maximum"},
};

INSTANTIATE_TEST_SUITE_P(Go, InvalidParseTest,
                         testing::ValuesIn(kInvalidParseCases));

// ---------------------------------------------------------------------------
// Formatting. Expected strings are what Go's Duration.String() prints.

struct FormatCase {
  absl::Duration d;
  std::string want;
};
void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.want; }

class FormatTest : public testing::TestWithParam<FormatCase> {};

TEST_P(FormatTest, FormatsLikeGo) {
  EXPECT_EQ(FormatGoDuration(GetParam().d), GetParam().want);
}

const FormatCase kFormatCases[] = {
    {absl::ZeroDuration(), "0s"},
    {absl::Nanoseconds(1), "1ns"},
    {absl::Nanoseconds(999), "999ns"},
    {absl::Nanoseconds(1100), "1.1\u00b5s"},
    {absl::Microseconds(2200), "2.2ms"},
    {absl::Milliseconds(300), "300ms"},
    {absl::Nanoseconds(300000001), "300.000001ms"},
    {absl::Seconds(1), "1s"},
    {absl::Milliseconds(1500), "1.5s"},
    {absl::Seconds(90), "1m30s"},
    {absl::Minutes(15), "15m0s"},
    {absl::Hours(1), "1h0m0s"},
    {absl::Minutes(90), "1h30m0s"},
    {absl::Hours(2) + absl::Milliseconds(500), "2h0m0.5s"},
    {absl::Hours(1) + absl::Minutes(1) + absl::Seconds(1) +
         absl::Nanoseconds(1),
     "1h1m1.000000001s"},
    {absl::Hours(48), "48h0m0s"},
    {-absl::Minutes(1), "-1m0s"},
    {-absl::Nanoseconds(5), "-5ns"},
    {absl::Nanoseconds(kMaxNanos), "2562047h47m16.854775807s"},
    {absl::Nanoseconds(std::numeric_limits<int64_t>::min()),
     "-2562047h47m16.854775808s"},
    // Beyond Go's range: saturate. Below a nanosecond: truncate.
    {absl::InfiniteDuration(), "2562047h47m16.854775807s"},
    {-absl::InfiniteDuration(), "-2562047h47m16.854775808s"},
    {absl::Hours(1e7), "2562047h47m16.854775807s"},
    {absl::Nanoseconds(1) / 4, "0s"},
    {absl::Nanoseconds(1.75), "1ns"},
};

INSTANTIATE_TEST_SUITE_P(Go, FormatTest, testing::ValuesIn(kFormatCases));

TEST(FormatGoDurationTest, RoundTripsThroughParse) {
  for (int64_t nanos = 0; nanos < kMaxNanos / 3; nanos = nanos * 3 + 7) {
    const absl::Duration d = absl::Nanoseconds(nanos);
    const std::string text = FormatGoDuration(d);
    absl::StatusOr<absl::Duration> parsed = ParseGoDuration(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, d) << text;
  }
}

}  // namespace
}  // namespace werf::common
