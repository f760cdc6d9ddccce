#include "libs/webhook/quay.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/webhook/event_list.h"
#include "libs/webhook/json_body.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseQuay(const Delivery& delivery) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(delivery.body));
  if (!body.is_object()) return WrongType("the body", "a JSON object");
  EventList events;
  const nlohmann::json* tags = Member(body, "updated_tags");
  if (tags == nullptr || Member(body, "build_id") != nullptr) return std::move(events).Take();

  ASSIGN_OR_RETURN(std::string docker_url, RequiredString(body, "docker_url", "docker_url"));
  const absl::string_view host = ReferenceHost(docker_url);
  const absl::string_view path = ReferencePath(docker_url);
  if (host.empty() || path.empty()) return absl::InvalidArgumentError("docker_url is not host/namespace/repository");

  auto add = [&](std::optional<absl::string_view> tag) -> absl::Status {
    absl::Status added = events.Add(host, path, tag);
    if (!added.ok()) return absl::InvalidArgumentError(absl::StrCat("docker_url: ", added.message()));
    return absl::OkStatus();
  };
  if (tags->is_array()) {
    for (size_t i = 0; i < tags->size(); ++i) {
      const nlohmann::json& tag = (*tags)[i];
      if (!tag.is_string()) return WrongType(absl::StrCat("updated_tags[", i, "]"), "a string");
      RETURN_IF_ERROR(add(tag.get_ref<const std::string&>()));
    }
  } else if (tags->is_object()) {
    for (const auto& [tag, image] : tags->items()) RETURN_IF_ERROR(add(tag));
  } else {
    return WrongType("updated_tags", "an array of tags");
  }
  // A push Quay reports without tags still changed the repository.
  if (events.size() == 0) RETURN_IF_ERROR(add(std::nullopt));
  return std::move(events).Take();
}

}  // namespace werf::webhook
