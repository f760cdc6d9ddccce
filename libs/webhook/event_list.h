// The events one delivery names, validated and deduplicated as they are added.
// Every parser funnels its (registry, repository, tag) triples through here, so the
// rules are the same for every source: the registry is canonical as libs/oci has it
// (docker.io for Docker Hub's aliases), the repository follows the distribution
// grammar (lower-case path components; a Docker Hub name without a slash gets
// `library/`), a tag follows the tag grammar, and an identical triple is kept once.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_EVENT_LIST_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_EVENT_LIST_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

class EventList {
 public:
  // Validates and appends; InvalidArgument (naming what is wrong) for an invalid
  // registry, repository or tag. An empty tag means "no tag".
  absl::Status Add(absl::string_view registry, absl::string_view repository,
                   std::optional<absl::string_view> tag = std::nullopt);

  std::vector<RepositoryEvent> Take() && { return std::move(events_); }
  size_t size() const { return events_.size(); }

 private:
  std::vector<RepositoryEvent> events_;
  absl::flat_hash_set<std::string> seen_;
};

// The host[:port] of a reference written without scheme, `host/path[:tag]` (Harbor's
// resource_url, Quay's docker_url): the text before the first '/'. The host is
// validated later, by EventList::Add through libs/oci.
absl::string_view ReferenceHost(absl::string_view reference);

// The path of such a reference: after the first '/', without `:tag` or `@digest`.
absl::string_view ReferencePath(absl::string_view reference);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_EVENT_LIST_H_
