#include "libs/common/duration.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "libs/common/status_macros.h"

namespace werf::common {
namespace {

constexpr uint64_t kMaxNanos = std::numeric_limits<int64_t>::max();
// FormatGoDuration(absl::Nanoseconds(kMaxNanos)), spelled out for messages.
constexpr absl::string_view kMaxText = "2562047h47m16.854775807s";

constexpr uint64_t kMicrosecond = 1000;
constexpr uint64_t kMillisecond = 1000 * kMicrosecond;
constexpr uint64_t kSecond = 1000 * kMillisecond;
constexpr uint64_t kMinute = 60 * kSecond;
constexpr uint64_t kHour = 60 * kMinute;

// Go's unitMap.
constexpr std::array<std::pair<absl::string_view, uint64_t>, 8> kUnits = {{
    {"ns", 1},
    {"us", kMicrosecond},
    {"\u00b5s", kMicrosecond},  // U+00B5 MICRO SIGN, what Go prints.
    {"\u03bcs", kMicrosecond},  // U+03BC GREEK SMALL LETTER MU.
    {"ms", kMillisecond},
    {"s", kSecond},
    {"m", kMinute},
    {"h", kHour},
}};

std::optional<uint64_t> UnitNanos(absl::string_view unit) {
  for (const auto& [name, nanos] : kUnits) {
    if (name == unit) return nanos;
  }
  return std::nullopt;
}

// Quotes user input for error messages. Escaping everything outside
// printable ASCII, as Go's time package does, keeps the message unambiguous
// and valid UTF-8 whatever the input was (status conditions must be).
std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s), "\"");
}

absl::Status Invalid(absl::string_view detail) {
  return absl::InvalidArgumentError(detail);
}

absl::Status Overflow() {
  return Invalid(absl::StrCat("exceeds the maximum duration ", kMaxText));
}

// Go's leadingInt: consumes [0-9]* from `s`.
absl::StatusOr<uint64_t> ConsumeInt(absl::string_view& s) {
  uint64_t x = 0;
  while (!s.empty() && absl::ascii_isdigit(s.front())) {
    const uint64_t digit = s.front() - '0';
    if (x > (kMaxNanos - digit) / 10) return Overflow();
    x = x * 10 + digit;
    s.remove_prefix(1);
  }
  return x;
}

// Go's leadingFraction: consumes [0-9]* from `s` as the digits after a
// decimal point, returning them as an integer over `scale`. Digits past
// 2^63 are consumed but dropped; they cannot move the result by a
// nanosecond. The limits are Go's, digit for digit, to agree with Go.
struct Fraction {
  uint64_t digits = 0;
  double scale = 1;
};
Fraction ConsumeFraction(absl::string_view& s) {
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  Fraction f;
  bool overflow = false;
  for (; !s.empty() && absl::ascii_isdigit(s.front()); s.remove_prefix(1)) {
    if (overflow) continue;
    if (f.digits > (kLimit - 1) / 10) {
      overflow = true;
      continue;
    }
    const uint64_t next =
        f.digits * 10 + static_cast<uint64_t>(s.front() - '0');
    if (next > kLimit) {
      overflow = true;
      continue;
    }
    f.digits = next;
    f.scale *= 10;
  }
  return f;
}

// Parses one "<number><unit>" element off the front of `s`; `whole` is the
// full input, for suggestions.
absl::StatusOr<uint64_t> ConsumeElement(absl::string_view& s,
                                        absl::string_view whole) {
  if (s.empty() || !(absl::ascii_isdigit(s.front()) || s.front() == '.')) {
    return Invalid(absl::StrCat("expected a number at ", Quote(s)));
  }
  const absl::string_view number_start = s;
  ASSIGN_OR_RETURN(const uint64_t whole_part, ConsumeInt(s));
  const bool has_int = s.size() != number_start.size();
  Fraction fraction;
  bool has_fraction = false;
  if (absl::ConsumePrefix(&s, ".")) {
    const size_t before = s.size();
    fraction = ConsumeFraction(s);
    has_fraction = s.size() != before;
  }
  if (!has_int && !has_fraction) {
    return Invalid(absl::StrCat("expected a number at ", Quote(number_start)));
  }
  const absl::string_view number =
      number_start.substr(0, number_start.size() - s.size());

  // Like Go, a unit is everything up to the next number.
  const size_t unit_end = std::min(s.find_first_of("0123456789."), s.size());
  const absl::string_view unit = s.substr(0, unit_end);
  s.remove_prefix(unit_end);
  if (unit.empty()) {
    if (!s.empty()) {
      return Invalid(absl::StrCat("missing unit after ", Quote(number)));
    }
    return Invalid(absl::StrCat("missing unit after ", Quote(number),
                                "; write e.g. ",
                                Quote(absl::StrCat(whole, "s")), " or ",
                                Quote(absl::StrCat(whole, "m"))));
  }
  const std::optional<uint64_t> unit_nanos = UnitNanos(unit);
  if (!unit_nanos.has_value()) {
    return Invalid(absl::StrCat(
        "unknown unit ", Quote(unit), " (want ns, us, \u00b5s, ms, s, m or h",
        unit == "d" ? "; there are no days, write e.g. \"24h\")" : ")"));
  }

  if (whole_part > kMaxNanos / *unit_nanos) return Overflow();
  uint64_t nanos = whole_part * *unit_nanos;
  if (fraction.digits > 0) {
    // Go's own arithmetic, float64 rounding and all, so that we agree with
    // Go components reading the same field: Go reads
    // "0.3333333333333333333h" as exactly 20m, where exact math is 1ns less.
    nanos += static_cast<uint64_t>(
        static_cast<double>(fraction.digits) *
        (static_cast<double>(*unit_nanos) / fraction.scale));
    if (nanos > kMaxNanos) return Overflow();
  }
  return nanos;
}

absl::StatusOr<absl::Duration> ParseNonNegative(absl::string_view text) {
  if (text.empty()) return Invalid("empty string");
  absl::string_view s = text;
  if (s.front() == '-') return Invalid("negative durations are not allowed");
  absl::ConsumePrefix(&s, "+");
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return Invalid("expected a number after \"+\"");

  uint64_t total = 0;
  do {
    ASSIGN_OR_RETURN(const uint64_t nanos, ConsumeElement(s, text));
    if (nanos > kMaxNanos - total) return Overflow();
    total += nanos;
  } while (!s.empty());
  return absl::Nanoseconds(static_cast<int64_t>(total));
}

// Go's fmtFrac: the fractional digits of v / 10^precision, trailing zeros
// dropped, as ".5" (or "" when zero). Leaves the integer part in `v`.
std::string TakeFraction(uint64_t& v, int precision) {
  std::string digits;
  bool significant = false;
  for (int i = 0; i < precision; ++i, v /= 10) {
    const char digit = static_cast<char>('0' + v % 10);
    significant = significant || digit != '0';
    if (significant) digits.insert(digits.begin(), digit);
  }
  return digits.empty() ? digits : absl::StrCat(".", digits);
}

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text) {
  absl::StatusOr<absl::Duration> d = ParseNonNegative(text);
  if (!d.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid duration ", Quote(text), ": ", d.status().message()));
  }
  return d;
}

std::string FormatGoDuration(absl::Duration d) {
  // ToInt64Nanoseconds truncates toward zero and saturates, which is exactly
  // the conversion documented in the header.
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  if (nanos == 0) return "0s";
  const absl::string_view sign = nanos < 0 ? "-" : "";
  // Unsigned negation is well defined, even for INT64_MIN.
  uint64_t u = nanos < 0 ? 0 - static_cast<uint64_t>(nanos)
                         : static_cast<uint64_t>(nanos);

  if (u < kSecond) {
    // Below a second Go switches to the largest unit that keeps an integer
    // part: "1.5µs", "300ms".
    int precision = 0;
    absl::string_view unit = "ns";
    if (u >= kMillisecond) {
      precision = 6;
      unit = "ms";
    } else if (u >= kMicrosecond) {
      precision = 3;
      unit = "\u00b5s";
    }
    const std::string fraction = TakeFraction(u, precision);
    return absl::StrCat(sign, u, fraction, unit);
  }

  const std::string fraction = TakeFraction(u, 9);  // u is now in seconds.
  const uint64_t seconds = u % 60;
  const uint64_t minutes = u / 60 % 60;
  const uint64_t hours = u / 3600;
  if (hours > 0) {
    return absl::StrCat(sign, hours, "h", minutes, "m", seconds, fraction, "s");
  }
  if (minutes > 0) {
    return absl::StrCat(sign, minutes, "m", seconds, fraction, "s");
  }
  return absl::StrCat(sign, seconds, fraction, "s");
}

}  // namespace werf::common
