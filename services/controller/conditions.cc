#include "services/controller/conditions.h"

namespace werf::controller {

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

void SetCondition(nlohmann::json& status, const Condition& condition, int64_t observed_generation,
                  absl::Time now) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) {
    status["conditions"] = nlohmann::json::array();
  }
  for (nlohmann::json& existing : status["conditions"]) {
    if (existing.value("type", "") != condition.type) continue;
    if (existing.value("status", "") != condition.status) {
      existing["lastTransitionTime"] = FormatTimestamp(now);
    }
    existing["status"] = condition.status;
    existing["reason"] = condition.reason;
    existing["message"] = condition.message;
    existing["observedGeneration"] = observed_generation;
    return;
  }
  status["conditions"].push_back({{"type", condition.type},
                                  {"status", condition.status},
                                  {"reason", condition.reason},
                                  {"message", condition.message},
                                  {"observedGeneration", observed_generation},
                                  {"lastTransitionTime", FormatTimestamp(now)}});
}

void RemoveCondition(nlohmann::json& status, absl::string_view type) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return;
  nlohmann::json kept = nlohmann::json::array();
  for (nlohmann::json& existing : status["conditions"]) {
    if (existing.value("type", "") != type) kept.push_back(std::move(existing));
  }
  status["conditions"] = std::move(kept);
}

std::string ConditionStatus(const nlohmann::json& status, absl::string_view type) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return "";
  for (const nlohmann::json& existing : status["conditions"]) {
    if (existing.value("type", "") == type) return existing.value("status", "");
  }
  return "";
}

}  // namespace werf::controller
