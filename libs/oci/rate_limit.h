// Rate-limit signals registries send: Retry-After on 429 (and 503), and Docker
// Hub's RateLimit-Limit / RateLimit-Remaining ("100;w=21600": 100 pulls per
// 21600 s window; the IETF draft sends a bare number).
#ifndef WERF_OPERATOR_LIBS_OCI_RATE_LIMIT_H_
#define WERF_OPERATOR_LIBS_OCI_RATE_LIMIT_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace werf::oci {

// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date (IMF-fixdate,
// and the obsolete RFC 850 and asctime forms). nullopt when unparseable. A date in
// the past means `now`.
std::optional<absl::Time> ParseRetryAfter(absl::string_view value, absl::Time now);

// One RateLimit-* header: a count with an optional window.
struct RateLimitQuota {
  int64_t count = 0;
  std::optional<absl::Duration> window{};
};

// "76;w=21600" -> {76, 6h}; "76" -> {76}. nullopt when malformed.
std::optional<RateLimitQuota> ParseRateLimitQuota(absl::string_view value);

// What the registry said about its budget on the last response.
struct RateLimitInfo {
  int64_t remaining = 0;
  std::optional<int64_t> limit{};
  std::optional<absl::Duration> window{};
};

// From the values of RateLimit-Remaining and RateLimit-Limit (either may be
// empty); nullopt when there is no parseable remaining count.
std::optional<RateLimitInfo> ParseRateLimitInfo(absl::string_view remaining, absl::string_view limit);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_RATE_LIMIT_H_
