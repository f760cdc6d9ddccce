// A notification sink as a bundle (spec.notifications[]) or its namespace (the
// werf.io/notifications annotation) configures it: where outcomes go and which ones.
#ifndef WERF_OPERATOR_LIBS_NOTIFY_SINK_H_
#define WERF_OPERATOR_LIBS_NOTIFY_SINK_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace werf::notify {

enum class SinkKind { kSlack, kWebhook, kCloudEvents, kGitHub };

// What happened to a bundle, as a sink subscribes to it.
enum class OutcomeKind {
  kDeployed,        // an apply succeeded
  kFailed,          // an apply failed (or its Job vanished)
  kDrifted,         // a drift check found the release changed in the cluster
  kDriftCorrected,  // an apply that corrected drift succeeded
  kRecovered,       // an apply succeeded after failed ones
  kStalled,         // the bundle cannot progress until a person fixes its spec or the cluster
};

absl::string_view SinkKindName(SinkKind kind);        // "Slack", "Webhook", "CloudEvents", "GitHub"
absl::string_view OutcomeKindName(OutcomeKind kind);  // "Deployed", ...
std::optional<OutcomeKind> ParseOutcomeKind(absl::string_view name);

struct SinkSpec {
  std::string name{};
  SinkKind kind = SinkKind::kWebhook;
  // A Secret in the bundle's namespace (the tenancy rule: a bundle reads only its own namespace).
  std::string secret_name{};
  // Empty: every kind.
  std::set<OutcomeKind> events{};

  bool Wants(OutcomeKind kind) const { return events.empty() || events.contains(kind); }
  bool operator==(const SinkSpec&) const = default;
};

inline constexpr size_t kMaxSinks = 8;

// Parses a list of sinks. `path` prefixes every error ("spec.notifications[1].kind: ...").
absl::StatusOr<std::vector<SinkSpec>> ParseSinks(const nlohmann::json& list, absl::string_view path);

}  // namespace werf::notify

#endif  // WERF_OPERATOR_LIBS_NOTIFY_SINK_H_
