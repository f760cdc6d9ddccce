#include "libs/webhook/event_list.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "libs/oci/reference.h"

namespace werf::webhook {

absl::Status EventList::Add(absl::string_view registry, absl::string_view repository,
                            std::optional<absl::string_view> tag) {
  if (registry.empty()) return absl::InvalidArgumentError("the event names no registry host");
  if (repository.empty()) return absl::InvalidArgumentError("the event names no repository");
  // libs/oci owns host and path rules; a second parser here would drift from it.
  absl::StatusOr<oci::RepositoryRef> ref = oci::RepositoryRef::Create(registry, repository);
  if (!ref.ok()) return ref.status();
  if (tag.has_value() && tag->empty()) tag.reset();
  if (tag.has_value()) {
    if (absl::Status valid = oci::ValidateTag(*tag); !valid.ok()) return valid;
  }
  // '\n' cannot occur in a valid registry, path or tag, so the key is unambiguous.
  std::string key = absl::StrCat(ref->registry(), "\n", ref->path(), "\n", tag.has_value() ? "t" : "-",
                                 tag.value_or(""));
  if (!seen_.insert(std::move(key)).second) return absl::OkStatus();
  RepositoryEvent event{.registry = ref->registry(), .repository = ref->path(), .tag = std::nullopt};
  if (tag.has_value()) event.tag = std::string(*tag);
  events_.push_back(std::move(event));
  return absl::OkStatus();
}

absl::string_view ReferenceHost(absl::string_view reference) {
  const size_t slash = reference.find('/');
  return slash == absl::string_view::npos ? absl::string_view() : reference.substr(0, slash);
}

absl::string_view ReferencePath(absl::string_view reference) {
  const size_t slash = reference.find('/');
  if (slash == absl::string_view::npos) return absl::string_view();
  absl::string_view path = reference.substr(slash + 1);
  if (const size_t at = path.find('@'); at != absl::string_view::npos) path = path.substr(0, at);
  const size_t last_slash = path.rfind('/');
  const size_t colon = path.rfind(':');
  if (colon != absl::string_view::npos && (last_slash == absl::string_view::npos || colon > last_slash)) {
    path = path.substr(0, colon);
  }
  return path;
}

}  // namespace werf::webhook
