// Parsers of payload shapes that arrive through more than one endpoint, on an
// already parsed body: the distribution envelope (distribution, GitLab, a
// CloudEvent's data), Harbor's event_data (its default format and its CloudEvents
// format), the generic shape, and Amazon ECR's EventBridge event (as a CloudEvent's
// data, or posted as EventBridge sends it). Internal to libs/webhook.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_PAYLOAD_SHAPES_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_PAYLOAD_SHAPES_H_

#include "absl/status/status.h"
#include "libs/webhook/event_list.h"
#include "nlohmann/json.hpp"

namespace werf::webhook {

// {"events":[{"action":"push","target":{...},"request":{...}}, ...]} (distribution.cc).
absl::Status AppendDistributionEvents(const nlohmann::json& envelope, EventList& events);

// Harbor's event_data: {"resources":[{"tag","resource_url"}], "repository":{"repo_full_name"}} (harbor.cc).
absl::Status AppendHarborEventData(const nlohmann::json& event_data, EventList& events);

// {"registry","repository","tag"} or {"events":[...]} (generic.cc).
absl::Status AppendGenericEvents(const nlohmann::json& body, EventList& events);

// True when `event` looks like an EventBridge event (has "detail-type"), whatever its kind.
bool IsEventBridgeEvent(const nlohmann::json& event);

// An EventBridge event; only "ECR Image Action" PUSH/SUCCESS names a repository (ecr.cc).
absl::Status AppendEcrEventBridgeEvent(const nlohmann::json& event, EventList& events);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_PAYLOAD_SHAPES_H_
