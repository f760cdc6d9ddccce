#include "libs/webhook/generic.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/webhook/json_body.h"
#include "libs/webhook/payload_shapes.h"

namespace werf::webhook {
namespace {

// `where` is "" for a body that is one event, "events[i]" inside a list.
absl::Status AppendOne(const nlohmann::json& event, const std::string& where, EventList& events) {
  auto field = [&](absl::string_view name) { return where.empty() ? std::string(name) : absl::StrCat(where, ".", name); };
  if (!event.is_object()) return WrongType(where.empty() ? "the body" : where, "an object");
  ASSIGN_OR_RETURN(std::string registry, RequiredString(event, "registry", field("registry")));
  ASSIGN_OR_RETURN(std::string repository, RequiredString(event, "repository", field("repository")));
  ASSIGN_OR_RETURN(std::optional<std::string> tag, OptionalString(event, "tag", field("tag")));
  absl::Status added = events.Add(registry, repository, tag);
  if (!added.ok() && !where.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", added.message()));
  return added;
}

}  // namespace

absl::Status AppendGenericEvents(const nlohmann::json& body, EventList& events) {
  if (!body.is_object()) return WrongType("the body", "a JSON object");
  const nlohmann::json* list = Member(body, "events");
  if (list == nullptr) return AppendOne(body, "", events);
  if (!list->is_array()) return WrongType("events", "an array");
  for (size_t i = 0; i < list->size(); ++i) {
    RETURN_IF_ERROR(AppendOne((*list)[i], absl::StrCat("events[", i, "]"), events));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RepositoryEvent>> ParseGeneric(const Delivery& delivery) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(delivery.body));
  EventList events;
  RETURN_IF_ERROR(AppendGenericEvents(body, events));
  return std::move(events).Take();
}

}  // namespace werf::webhook
