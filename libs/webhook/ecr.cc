// Amazon ECR's EventBridge events (see cloudevents.h for how they arrive).
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/webhook/json_body.h"
#include "libs/webhook/payload_shapes.h"

namespace werf::webhook {

bool IsEventBridgeEvent(const nlohmann::json& event) { return Member(event, "detail-type") != nullptr; }

absl::Status AppendEcrEventBridgeEvent(const nlohmann::json& event, EventList& events) {
  if (!event.is_object()) return WrongType("the EventBridge event", "an object");
  ASSIGN_OR_RETURN(std::optional<std::string> detail_type, OptionalString(event, "detail-type", "detail-type"));
  if (detail_type != "ECR Image Action") return absl::OkStatus();
  ASSIGN_OR_RETURN(const nlohmann::json* detail, OptionalObject(event, "detail", "detail"));
  if (detail == nullptr) return absl::InvalidArgumentError("detail is missing");
  ASSIGN_OR_RETURN(std::optional<std::string> action, OptionalString(*detail, "action-type", "detail.action-type"));
  ASSIGN_OR_RETURN(std::optional<std::string> result, OptionalString(*detail, "result", "detail.result"));
  // Deletes, and pushes ECR reports as failed, name no new image.
  if (action != "PUSH" || result != "SUCCESS") return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string repository, RequiredString(*detail, "repository-name", "detail.repository-name"));
  ASSIGN_OR_RETURN(std::optional<std::string> tag, OptionalString(*detail, "image-tag", "detail.image-tag"));
  ASSIGN_OR_RETURN(std::string account, RequiredString(event, "account", "account"));
  ASSIGN_OR_RETURN(std::string region, RequiredString(event, "region", "region"));
  // Private registries live at <account>.dkr.ecr.<region>.amazonaws.com; the China
  // partition's regions (cn-north-1, cn-northwest-1) under amazonaws.com.cn.
  const absl::string_view suffix = absl::StartsWith(region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  const std::string host = absl::StrCat(account, ".dkr.ecr.", region, ".", suffix);
  return events.Add(host, repository, tag);
}

}  // namespace werf::webhook
