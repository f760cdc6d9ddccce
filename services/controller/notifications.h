// Which notification sinks a bundle has (its spec.notifications, else its
// namespace's werf.io/notifications annotation) and the NotificationsDelivered
// condition Decide derives from the notifier's records in the status.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_NOTIFICATIONS_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_NOTIFICATIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/api/bundle_status.h"
#include "libs/notify/sink.h"
#include "nlohmann/json.hpp"

namespace werf::controller {

// The namespace annotation holding the default sinks (a JSON list shaped like
// spec.notifications) of every bundle in the namespace that sets none.
inline constexpr char kNamespaceNotificationsAnnotation[] = "werf.io/notifications";

struct NotificationFacts {
  std::vector<notify::SinkSpec> sinks{};
  // Why the configured sinks cannot be read ("" when they can, or when there are none).
  std::string error{};
};

// Read from the raw object, so a bundle whose spec is otherwise invalid (and Stalled)
// still notifies its sinks about it.
NotificationFacts NotificationSinksOf(const nlohmann::json& bundle,
                                      const std::optional<std::string>& namespace_default);

// Failed deliveries in a row that make NotificationsDelivered False.
inline constexpr int kNotificationFailuresBeforeCondition = 3;

// Sets (or removes, without sinks) NotificationsDelivered and drops the records of
// sinks no longer configured.
void SetNotificationsCondition(const NotificationFacts& facts, int64_t generation, absl::Time now,
                               api::BundleStatus& status);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_NOTIFICATIONS_H_
