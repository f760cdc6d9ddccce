// Exponential backoff with "full jitter" for retry and reconnect loops.
//
//   BackoffOptions options;
//   options.initial = absl::Milliseconds(800);
//   options.max = absl::Seconds(30);
//   ASSIGN_OR_RETURN(ExponentialBackoff backoff,
//                    ExponentialBackoff::Create(options));
//   while (!(status = Connect()).ok()) absl::SleepFor(backoff.Next());
#ifndef WERF_OPERATOR_LIBS_COMMON_BACKOFF_H_
#define WERF_OPERATOR_LIBS_COMMON_BACKOFF_H_

#include <memory>
#include <optional>

#include "absl/random/bit_gen_ref.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace werf::common {

// Every field has a default member initializer, so designated initializers
// may name only what they change (g++ -Wextra warns about fields without one).
struct BackoffOptions {
  enum class Jitter {
    // Every delay is the ceiling itself; predictable, but clients that failed
    // together retry together.
    kNone,
    // Each delay is uniform in [0, ceiling] (AWS "full jitter"), which
    // spreads out clients that failed together.
    kFull,
  };

  // The ceiling of the first delay. Must be positive.
  absl::Duration initial = absl::Seconds(1);
  // The cap on the ceiling. At least `initial`, at most Go's maximum duration
  // (about 292 years).
  absl::Duration max = absl::Seconds(30);
  // Growth of the ceiling per attempt. Finite, at least 1.
  double multiplier = 2.0;
  Jitter jitter = Jitter::kFull;
  // When set (positive), an attempt that stayed healthy this long before it
  // failed starts the sequence over; see ExponentialBackoff::Next(now).
  // client-go's reflector uses two minutes.
  std::optional<absl::Duration> reset_after{};
};

// Delays for successive attempts: the n-th call to Next() (from 0) draws
// from [0, Ceiling()] where the ceiling is min(max, initial * multiplier^n),
// i.e. AWS's sleep = random_between(0, min(cap, base * 2^attempt)).
//
// The ceiling is grown step by step and capped, never computed from a power,
// so it cannot overflow however many attempts are made.
//
// Not thread-safe: use one per retry loop. Move-only.
class ExponentialBackoff {
 public:
  // Returns InvalidArgument if `options` break the rules documented on them.
  // Jitter comes from an absl::BitGen owned by the backoff.
  static absl::StatusOr<ExponentialBackoff> Create(
      const BackoffOptions& options);
  // As above, but draws jitter from `gen`, which must outlive the backoff;
  // tests pass a seeded engine to make the sequence deterministic.
  static absl::StatusOr<ExponentialBackoff> Create(
      const BackoffOptions& options, absl::BitGenRef gen);

  // Returns the delay before the next attempt and advances the sequence.
  absl::Duration Next();

  // As Next(), for loops around long-lived connections such as watches: call
  // it when an attempt fails, at `now`. If options().reset_after is set and
  // the attempt ran healthy at least that long before failing, the sequence
  // starts over first, so that an occasional drop of a long-lived
  // connection is retried quickly. The attempt is taken to have started
  // when the delay returned by the previous Next(now) ran out; calling
  // Next() instead forgets that time, so the following call cannot reset.
  absl::Duration Next(absl::Time now);

  // Starts the sequence over, e.g. after a success.
  void Reset();

  // Calls to Next() since creation or the last reset, saturating at INT_MAX.
  int attempts() const { return attempts_; }

  // The upper bound of the delay the next call to Next() returns (unless
  // that call resets first). Un-jittered, so handy for logs.
  absl::Duration Ceiling() const { return ceiling_; }

  const BackoffOptions& options() const { return options_; }

 private:
  ExponentialBackoff(const BackoffOptions& options,
                     std::unique_ptr<absl::BitGen> owned_gen,
                     absl::BitGenRef gen);

  absl::Duration Advance();

  BackoffOptions options_;
  // Set when no generator was injected. On the heap so that gen_, which
  // refers to it, stays valid when the backoff is moved.
  std::unique_ptr<absl::BitGen> owned_gen_;
  absl::BitGenRef gen_;
  absl::Duration ceiling_;
  int attempts_ = 0;
  // When the attempt after the latest Next(now) was due to start.
  std::optional<absl::Time> attempt_start_;
};

// The delay after `failures` failures in a row, for retries scheduled from a count
// kept elsewhere (a bundle's status, a poll tracker, a workqueue key): `base` for the
// first failure (and for none), doubled per further failure, capped at `max`. Grown
// step by step, so no count overflows it. The one doubling rule of the operator:
// converge retries, poll failures, notification retries and workqueue keys use it.
absl::Duration CappedExponentialDelay(absl::Duration base, absl::Duration max, int failures);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_BACKOFF_H_
