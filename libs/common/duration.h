// Go duration strings ("90s", "1h30m", "300ms"), as Kubernetes writes
// metav1.Duration fields, converted to and from absl::Duration.
#ifndef WERF_OPERATOR_LIBS_COMMON_DURATION_H_
#define WERF_OPERATOR_LIBS_COMMON_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace werf::common {

// Parses Go's time.ParseDuration syntax: one or more decimal numbers, each
// with an optional fraction and a required unit, summed: "300ms", "1.5h",
// "1h30m", ".5s". Units are ns, us, µs (U+00B5 or U+03BC), ms, s, m and h;
// a bare "0" (optionally "+0") is the only number allowed without one. A
// leading "+" is accepted as Go accepts it. Results agree with Go to the
// nanosecond, fractions included.
//
// Stricter than Go, because every duration we read is an interval or a
// timeout: negative values are rejected, even "-0".
//
// Returns InvalidArgument quoting `text` for an empty string, a number
// without a unit ("15"; the message suggests "15s"), a unit Go lacks ("1d"),
// a negative value, or more than Go's maximum of 2562047h47m16.854775807s.
absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text);

// Formats like Go's time.Duration.String(): "1h30m0s", "1m30s", "1.5s",
// "300ms", "1.5µs", "0s", "-1m0s". Hours are the largest unit, as days vary
// in length. Go durations are whole nanoseconds in an int64, so sub-
// nanosecond precision is truncated and values beyond Go's range (including
// absl::InfiniteDuration()) saturate to its extremes.
std::string FormatGoDuration(absl::Duration d);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_DURATION_H_
