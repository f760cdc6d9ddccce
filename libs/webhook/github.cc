#include "libs/webhook/github.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/webhook/event_list.h"
#include "libs/webhook/json_body.h"

namespace werf::webhook {
namespace {

bool IsContainerType(const std::optional<std::string>& type) {
  if (!type.has_value()) return false;
  const std::string lower = absl::AsciiStrToLower(*type);
  return lower == "container" || lower == "docker";
}

}  // namespace

absl::StatusOr<std::vector<RepositoryEvent>> ParseGitHub(const Delivery& delivery) {
  const auto header = delivery.headers.find("x-github-event");
  if (header == delivery.headers.end() || header->second.empty()) {
    return absl::InvalidArgumentError("X-GitHub-Event header is missing");
  }
  const std::string& kind = header->second;
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(delivery.body));
  if (!body.is_object()) return WrongType("the body", "a JSON object");
  EventList events;
  if (kind != "package" && kind != "registry_package") return std::move(events).Take();

  ASSIGN_OR_RETURN(std::optional<std::string> action, OptionalString(body, "action", "action"));
  if (action != "published" && action != "updated") return std::move(events).Take();
  ASSIGN_OR_RETURN(const nlohmann::json* package, OptionalObject(body, kind, kind));
  if (package == nullptr) return absl::InvalidArgumentError(absl::StrCat(kind, " is missing"));

  ASSIGN_OR_RETURN(std::optional<std::string> package_type,
                   OptionalString(*package, "package_type", kind + ".package_type"));
  ASSIGN_OR_RETURN(const nlohmann::json* registry, OptionalObject(*package, "registry", kind + ".registry"));
  std::optional<std::string> registry_type;
  if (registry != nullptr) {
    ASSIGN_OR_RETURN(registry_type, OptionalString(*registry, "type", kind + ".registry.type"));
  }
  // `ecosystem` is not consulted: GitHub's own npm example says "docker" there.
  if (!IsContainerType(package_type) && !IsContainerType(registry_type)) return std::move(events).Take();

  ASSIGN_OR_RETURN(std::string name, RequiredString(*package, "name", kind + ".name"));
  std::optional<std::string> owner;
  ASSIGN_OR_RETURN(const nlohmann::json* owner_object, OptionalObject(*package, "owner", kind + ".owner"));
  if (owner_object != nullptr) {
    ASSIGN_OR_RETURN(owner, OptionalString(*owner_object, "login", kind + ".owner.login"));
  }
  if (!owner.has_value() || owner->empty()) {
    ASSIGN_OR_RETURN(owner, RequiredString(*package, "namespace", kind + ".namespace"));
  }

  std::optional<std::string> tag;
  ASSIGN_OR_RETURN(const nlohmann::json* version,
                   OptionalObject(*package, "package_version", kind + ".package_version"));
  if (version != nullptr) {
    ASSIGN_OR_RETURN(const nlohmann::json* metadata, OptionalObject(*version, "container_metadata",
                                                                    kind + ".package_version.container_metadata"));
    if (metadata != nullptr) {
      ASSIGN_OR_RETURN(const nlohmann::json* tag_object,
                       OptionalObject(*metadata, "tag", kind + ".package_version.container_metadata.tag"));
      if (tag_object != nullptr) {
        ASSIGN_OR_RETURN(tag, OptionalString(*tag_object, "name",
                                             kind + ".package_version.container_metadata.tag.name"));
      }
    }
  }
  // GitHub keeps the owner's and the package's display case; ghcr.io paths are lower case.
  RETURN_IF_ERROR(events.Add(kGitHubContainerRegistry, absl::AsciiStrToLower(absl::StrCat(*owner, "/", name)), tag));
  return std::move(events).Take();
}

}  // namespace werf::webhook
