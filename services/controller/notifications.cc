#include "services/controller/notifications.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace werf::controller {

NotificationFacts NotificationSinksOf(const nlohmann::json& bundle,
                                      const std::optional<std::string>& namespace_default) {
  NotificationFacts facts;
  const nlohmann::json* spec = bundle.contains("spec") ? &bundle["spec"] : nullptr;
  if (spec != nullptr && spec->is_object() && spec->contains("notifications")) {
    absl::StatusOr<std::vector<notify::SinkSpec>> sinks = notify::ParseSinks((*spec)["notifications"], "spec.notifications");
    if (!sinks.ok()) {
      facts.error = std::string(sinks.status().message());
    } else {
      facts.sinks = *std::move(sinks);
    }
    return facts;
  }
  if (!namespace_default.has_value()) return facts;
  const std::string where = absl::StrCat("Namespace annotation ", kNamespaceNotificationsAnnotation);
  const nlohmann::json list = nlohmann::json::parse(*namespace_default, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded()) {
    facts.error = absl::StrCat(where, ": not JSON; set it to a list shaped like spec.notifications");
    return facts;
  }
  absl::StatusOr<std::vector<notify::SinkSpec>> sinks = notify::ParseSinks(list, where);
  if (!sinks.ok()) {
    facts.error = std::string(sinks.status().message());
  } else {
    facts.sinks = *std::move(sinks);
  }
  return facts;
}

void SetNotificationsCondition(const NotificationFacts& facts, int64_t generation, absl::Time now,
                               api::BundleStatus& status) {
  constexpr char kType[] = "NotificationsDelivered";
  std::set<std::string> configured;
  for (const notify::SinkSpec& sink : facts.sinks) configured.insert(sink.name);
  std::erase_if(status.notifications,
                [&](const api::NotificationRecord& record) { return !configured.contains(record.sink); });
  const auto set = [&](const char* value, const char* reason, std::string message) {
    status.SetCondition({.type = kType, .status = value, .reason = reason, .message = std::move(message),
                         .observed_generation = generation},
                        now);
  };
  if (!facts.error.empty()) {
    set("False", "InvalidSinks", absl::StrCat(facts.error, "; no notifications are sent until it is fixed"));
    return;
  }
  if (facts.sinks.empty()) {
    status.RemoveCondition(kType);
    return;
  }
  std::vector<std::string> failing;
  int64_t dropped = 0;
  for (const api::NotificationRecord& record : status.notifications) {
    dropped += record.dropped;
    if (record.consecutive_failures >= kNotificationFailuresBeforeCondition) {
      failing.push_back(absl::StrCat("sink \"", record.sink, "\": ", record.consecutive_failures,
                                     " attempts failed, last: ", record.last_result));
    }
  }
  const std::string drops =
      dropped > 0 ? absl::StrCat("; ", dropped, " outcomes left the history undelivered") : "";
  if (!failing.empty()) {
    set("False", "DeliveryFailing",
        absl::StrCat(absl::StrJoin(failing, "; "), drops, " (retried with backoff; deploys are not affected)"));
    return;
  }
  set("True", "Delivered", absl::StrCat("no sink is failing (", facts.sinks.size(), " configured)", drops));
}

}  // namespace werf::controller
