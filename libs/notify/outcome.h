// The outcomes a bundle's status records, as notifications carry them. The status is
// the queue: outcomes are derived from status.history and the Drifted/Stalled
// conditions, each with an id that stays the same across restarts, so "what was
// sent" is a set of ids (status.notifications[].delivered) and a restarted
// controller sends exactly what is missing.
#ifndef WERF_OPERATOR_LIBS_NOTIFY_OUTCOME_H_
#define WERF_OPERATOR_LIBS_NOTIFY_OUTCOME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/api/bundle_status.h"
#include "libs/notify/sink.h"

namespace werf::notify {

struct BundleRef {
  std::string ns{};
  std::string name{};
  std::string uid{};
};

struct Outcome {
  // Stable identity: the Job name for a finished apply ("<job>"), the condition and its
  // transition time otherwise ("Drifted@2026-12-01T10:00:00Z").
  std::string id{};
  // What it is, most specific first: a success after failures is {Recovered, Deployed},
  // a drift correction {DriftCorrected, Deployed}. A sink gets the first kind it wants,
  // so it receives one message per outcome. Empty for a failed retry of the tag
  // that failed just before (one Failed per failure streak and tag).
  std::vector<OutcomeKind> kinds{};
  std::string tag{};
  std::string digest{};
  std::string job_name{};
  std::string message{};
  absl::Time time = absl::UnixEpoch();  // when it happened
  int64_t revision = 0;
  std::string report_status{};
  uint32_t completed_operations = 0;
  uint32_t failed_operations = 0;
  std::vector<std::string> failed_operation_names{};
  std::string log_tail{};

  // The kind `sink` receives this outcome as, or nullopt when it wants none of them.
  std::optional<OutcomeKind> KindFor(const SinkSpec& sink) const;
};

// Every outcome the status still shows, newest first.
std::vector<Outcome> OutcomesOf(const api::BundleStatus& status);

}  // namespace werf::notify

#endif  // WERF_OPERATOR_LIBS_NOTIFY_OUTCOME_H_
