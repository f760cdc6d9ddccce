#include "libs/oci/rate_limit.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace werf::oci {
namespace {

bool ParseNonNegative(absl::string_view text, int64_t& value) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return absl::SimpleAtoi(text, &value);
}

}  // namespace

std::optional<absl::Time> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  int64_t seconds = 0;
  if (ParseNonNegative(value, seconds)) {
    // Far beyond any sane wait; clamps instead of overflowing.
    return now + absl::Seconds(std::min<int64_t>(seconds, int64_t{1} << 40));
  }
  static constexpr const char* kDateFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850:     Sunday, 06-Nov-94 08:49:37 GMT
      "%a %b %e %H:%M:%S %Y",       // asctime:     Sun Nov  6 08:49:37 1994
  };
  for (const char* format : kDateFormats) {
    absl::Time when;
    if (absl::ParseTime(format, std::string(value), absl::UTCTimeZone(), &when, nullptr)) {
      return std::max(when, now);
    }
  }
  return std::nullopt;
}

std::optional<RateLimitQuota> ParseRateLimitQuota(absl::string_view value) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, ';');
  RateLimitQuota quota;
  if (!ParseNonNegative(parts[0], quota.count)) return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view parameter = absl::StripAsciiWhitespace(parts[i]);
    int64_t window = 0;
    if (absl::ConsumePrefix(&parameter, "w=") && ParseNonNegative(parameter, window)) {
      quota.window = absl::Seconds(window);
    }
  }
  return quota;
}

std::optional<RateLimitInfo> ParseRateLimitInfo(absl::string_view remaining, absl::string_view limit) {
  std::optional<RateLimitQuota> remaining_quota = ParseRateLimitQuota(remaining);
  if (!remaining_quota.has_value()) return std::nullopt;
  RateLimitInfo info{.remaining = remaining_quota->count, .window = remaining_quota->window};
  if (std::optional<RateLimitQuota> limit_quota = ParseRateLimitQuota(limit)) {
    info.limit = limit_quota->count;
    if (!info.window.has_value()) info.window = limit_quota->window;
  }
  return info;
}

}  // namespace werf::oci
