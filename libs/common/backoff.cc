#include "libs/common/backoff.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "absl/random/bit_gen_ref.h"
#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/status_macros.h"

namespace werf::common {
namespace {

// Delays are drawn in whole nanoseconds, so the cap must fit in an int64 of
// them; it is also the longest duration Go (and so Kubernetes) can express.
constexpr absl::Duration kLongest =
    absl::Nanoseconds(std::numeric_limits<int64_t>::max());

absl::Status Invalid(absl::string_view field, absl::string_view rule,
                     absl::string_view got) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid backoff options: ", field, " must be ", rule, ", got ", got));
}

absl::Status Validate(const BackoffOptions& o) {
  if (o.initial <= absl::ZeroDuration()) {
    return Invalid("initial", "positive", absl::FormatDuration(o.initial));
  }
  if (o.max < o.initial || o.max > kLongest) {
    return Invalid(
        "max",
        absl::StrCat("between initial (", absl::FormatDuration(o.initial),
                     ") and ", absl::FormatDuration(kLongest)),
        absl::FormatDuration(o.max));
  }
  // Written to reject NaN too.
  if (!(o.multiplier >= 1.0 && std::isfinite(o.multiplier))) {
    return Invalid("multiplier", "finite and at least 1",
                   absl::StrCat(o.multiplier));
  }
  if (o.reset_after.has_value() && *o.reset_after <= absl::ZeroDuration()) {
    return Invalid("reset_after", "positive when set",
                   absl::FormatDuration(*o.reset_after));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExponentialBackoff> ExponentialBackoff::Create(
    const BackoffOptions& options) {
  RETURN_IF_ERROR(Validate(options));
  auto gen = std::make_unique<absl::BitGen>();
  absl::BitGenRef ref(*gen);
  return ExponentialBackoff(options, std::move(gen), ref);
}

absl::StatusOr<ExponentialBackoff> ExponentialBackoff::Create(
    const BackoffOptions& options, absl::BitGenRef gen) {
  RETURN_IF_ERROR(Validate(options));
  return ExponentialBackoff(options, nullptr, gen);
}

ExponentialBackoff::ExponentialBackoff(const BackoffOptions& options,
                                       std::unique_ptr<absl::BitGen> owned_gen,
                                       absl::BitGenRef gen)
    : options_(options),
      owned_gen_(std::move(owned_gen)),
      gen_(gen),
      ceiling_(options.initial) {}

absl::Duration ExponentialBackoff::Next() {
  attempt_start_.reset();
  return Advance();
}

absl::Duration ExponentialBackoff::Next(absl::Time now) {
  if (options_.reset_after.has_value() && attempt_start_.has_value() &&
      now - *attempt_start_ >= *options_.reset_after) {
    Reset();
  }
  const absl::Duration delay = Advance();
  attempt_start_ = now + delay;
  return delay;
}

void ExponentialBackoff::Reset() {
  ceiling_ = options_.initial;
  attempts_ = 0;
  attempt_start_.reset();
}

absl::Duration ExponentialBackoff::Advance() {
  const absl::Duration ceiling = ceiling_;
  // Duration * double saturates to infinity rather than overflowing, and
  // the cap brings it back.
  ceiling_ = std::min(options_.max, ceiling_ * options_.multiplier);
  if (attempts_ < std::numeric_limits<int>::max()) ++attempts_;

  switch (options_.jitter) {
    case BackoffOptions::Jitter::kNone:
      return ceiling;
    case BackoffOptions::Jitter::kFull:
      // Whole nanoseconds, so that the draw is exactly uniform on
      // [0, ceiling]; Validate() keeps the ceiling within an int64 of them.
      return absl::Nanoseconds(
          absl::Uniform<int64_t>(absl::IntervalClosedClosed, gen_, 0,
                                 absl::ToInt64Nanoseconds(ceiling)));
  }
  return ceiling;
}

absl::Duration CappedExponentialDelay(absl::Duration base, absl::Duration max, int failures) {
  absl::Duration delay = base;
  for (int i = 1; i < failures && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

}  // namespace werf::common
