#include "libs/webhook/distribution.h"

#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/oci/url.h"
#include "libs/webhook/json_body.h"
#include "libs/webhook/payload_shapes.h"

namespace werf::webhook {
namespace {

bool IsManifestMediaType(absl::string_view media_type) {
  static const auto* const kManifestTypes = new absl::flat_hash_set<absl::string_view>{
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.artifact.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.v1+prettyjws",
  };
  return kManifestTypes->contains(media_type);
}

absl::Status AppendEvent(const nlohmann::json& event, const std::string& field, EventList& events) {
  if (!event.is_object()) return WrongType(field, "an object");
  // A missing action is not a push. (Compared in place: g++ 12 -O2 warns falsely about a
  // std::optional<std::string> moved out of a StatusOr here.)
  const absl::StatusOr<std::optional<std::string>> action = OptionalString(event, "action", field + ".action");
  if (!action.ok()) return action.status();
  if (action->value_or(std::string()) != "push") return absl::OkStatus();

  ASSIGN_OR_RETURN(const nlohmann::json* target, OptionalObject(event, "target", field + ".target"));
  if (target == nullptr) return absl::InvalidArgumentError(absl::StrCat(field, ".target is missing"));
  ASSIGN_OR_RETURN(std::optional<std::string> media_type,
                   OptionalString(*target, "mediaType", field + ".target.mediaType"));
  ASSIGN_OR_RETURN(std::optional<std::string> url, OptionalString(*target, "url", field + ".target.url"));
  absl::StatusOr<oci::ParsedUrl> parsed_url =
      url.has_value() ? oci::ParseUrl(*url) : absl::InvalidArgumentError("no url");
  const bool manifest = media_type.has_value() && !media_type->empty()
                            ? IsManifestMediaType(*media_type)
                            : parsed_url.ok() && absl::StrContains(parsed_url->path, "/manifests/");
  if (!manifest) return absl::OkStatus();

  ASSIGN_OR_RETURN(std::string repository, RequiredString(*target, "repository", field + ".target.repository"));
  ASSIGN_OR_RETURN(std::optional<std::string> tag, OptionalString(*target, "tag", field + ".target.tag"));
  std::string host;
  if (parsed_url.ok()) {
    host = parsed_url->authority;
  } else {
    ASSIGN_OR_RETURN(const nlohmann::json* request, OptionalObject(event, "request", field + ".request"));
    if (request != nullptr) {
      ASSIGN_OR_RETURN(std::optional<std::string> request_host,
                       OptionalString(*request, "host", field + ".request.host"));
      host = request_host.value_or("");
    }
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " names no registry host (no target.url, no request.host)"));
  }
  absl::Status added = events.Add(host, repository, tag);
  if (!added.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", added.message()));
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendDistributionEvents(const nlohmann::json& envelope, EventList& events) {
  if (!envelope.is_object()) return WrongType("the body", "a JSON object");
  const nlohmann::json* list = Member(envelope, "events");
  if (list == nullptr) return absl::InvalidArgumentError("events is missing; expected a distribution envelope");
  if (!list->is_array()) return WrongType("events", "an array");
  for (size_t i = 0; i < list->size(); ++i) {
    RETURN_IF_ERROR(AppendEvent((*list)[i], absl::StrCat("events[", i, "]"), events));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RepositoryEvent>> ParseDistribution(const Delivery& delivery) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(delivery.body));
  EventList events;
  RETURN_IF_ERROR(AppendDistributionEvents(body, events));
  return std::move(events).Take();
}

}  // namespace werf::webhook
