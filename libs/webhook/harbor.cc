#include "libs/webhook/harbor.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/webhook/json_body.h"
#include "libs/webhook/payload_shapes.h"

namespace werf::webhook {

absl::Status AppendHarborEventData(const nlohmann::json& event_data, EventList& events) {
  if (!event_data.is_object()) return WrongType("event_data", "an object");
  ASSIGN_OR_RETURN(const nlohmann::json* repository, OptionalObject(event_data, "repository", "event_data.repository"));
  if (repository == nullptr) return absl::InvalidArgumentError("event_data.repository is missing");
  ASSIGN_OR_RETURN(std::string full_name,
                   RequiredString(*repository, "repo_full_name", "event_data.repository.repo_full_name"));
  const nlohmann::json* resources = Member(event_data, "resources");
  if (resources == nullptr) return absl::InvalidArgumentError("event_data.resources is missing");
  if (!resources->is_array()) return WrongType("event_data.resources", "an array");
  for (size_t i = 0; i < resources->size(); ++i) {
    const std::string field = absl::StrCat("event_data.resources[", i, "]");
    const nlohmann::json& resource = (*resources)[i];
    if (!resource.is_object()) return WrongType(field, "an object");
    ASSIGN_OR_RETURN(std::string url, RequiredString(resource, "resource_url", field + ".resource_url"));
    ASSIGN_OR_RETURN(std::optional<std::string> tag, OptionalString(resource, "tag", field + ".tag"));
    const absl::string_view host = ReferenceHost(url);
    if (host.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ".resource_url names no registry host"));
    absl::Status added = events.Add(host, full_name, tag);
    if (!added.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", added.message()));
  }
  // A push names at least one resource; without one there is no host to route by.
  if (resources->empty()) return absl::InvalidArgumentError("event_data.resources is empty");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RepositoryEvent>> ParseHarbor(const Delivery& delivery) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(delivery.body));
  if (!body.is_object()) return WrongType("the body", "a JSON object");
  EventList events;
  ASSIGN_OR_RETURN(std::optional<std::string> type, OptionalString(body, "type", "type"));
  if (!type.has_value()) return absl::InvalidArgumentError("type is missing; expected a Harbor webhook payload");
  if (Member(body, "specversion") != nullptr) {
    // Harbor's CloudEvents format.
    if (*type != "harbor.artifact.pushed") return std::move(events).Take();
    ASSIGN_OR_RETURN(const nlohmann::json* data, OptionalObject(body, "data", "data"));
    if (data == nullptr) return absl::InvalidArgumentError("data is missing");
    RETURN_IF_ERROR(AppendHarborEventData(*data, events));
    return std::move(events).Take();
  }
  if (*type != "PUSH_ARTIFACT") return std::move(events).Take();
  ASSIGN_OR_RETURN(const nlohmann::json* event_data, OptionalObject(body, "event_data", "event_data"));
  if (event_data == nullptr) return absl::InvalidArgumentError("event_data is missing");
  RETURN_IF_ERROR(AppendHarborEventData(*event_data, events));
  return std::move(events).Take();
}

}  // namespace werf::webhook
