// metav1.Condition bookkeeping on a status JSON object: lastTransitionTime moves
// only when the condition's status changes, as apimachinery's SetStatusCondition does.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_CONDITIONS_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_CONDITIONS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace werf::controller {

struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
};

// Sets (or adds) the condition in status["conditions"].
void SetCondition(nlohmann::json& status, const Condition& condition, int64_t observed_generation,
                  absl::Time now);
// Removes the condition of that type, if present.
void RemoveCondition(nlohmann::json& status, absl::string_view type);
// The condition's status, or "" when absent.
std::string ConditionStatus(const nlohmann::json& status, absl::string_view type);

std::string FormatTimestamp(absl::Time time);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_CONDITIONS_H_
