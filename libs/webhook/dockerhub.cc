#include "libs/webhook/dockerhub.h"

#include <optional>
#include <string>

#include "libs/common/status_macros.h"
#include "libs/oci/reference.h"
#include "libs/webhook/event_list.h"
#include "libs/webhook/json_body.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseDockerHub(const Delivery& delivery) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(delivery.body));
  if (!body.is_object()) return WrongType("the body", "a JSON object");
  ASSIGN_OR_RETURN(const nlohmann::json* repository, OptionalObject(body, "repository", "repository"));
  if (repository == nullptr) return absl::InvalidArgumentError("repository is missing; expected a Docker Hub webhook");
  ASSIGN_OR_RETURN(std::string name, RequiredString(*repository, "repo_name", "repository.repo_name"));
  std::optional<std::string> tag;
  ASSIGN_OR_RETURN(const nlohmann::json* push_data, OptionalObject(body, "push_data", "push_data"));
  if (push_data != nullptr) {
    ASSIGN_OR_RETURN(tag, OptionalString(*push_data, "tag", "push_data.tag"));
  }
  EventList events;
  // RepositoryRef::Create adds `library/` to a one-component Docker Hub name.
  RETURN_IF_ERROR(events.Add(oci::kDockerHubRegistry, name, tag));
  return std::move(events).Take();
}

}  // namespace werf::webhook
