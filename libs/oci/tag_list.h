// Parses one page of a tag list, {"name": "team/app", "tags": ["v1", ...]},
// with a streaming (SAX) parser: a 50,000-tag page never becomes a DOM, the
// tag cap stops parsing early, and nesting depth is bounded.
#ifndef WERF_OPERATOR_LIBS_OCI_TAG_LIST_H_
#define WERF_OPERATOR_LIBS_OCI_TAG_LIST_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace werf::oci {

struct TagListPage {
  std::vector<std::string> tags{};
  // Tags that break the tag grammar; skipped, since a bad tag must never reach a werf command line.
  size_t invalid_tags = 0;
  // The page held more tags than the room given; `tags` stops at the room.
  bool over_cap = false;
};

// Parses `json`, keeping at most `room` tags. DataLoss names what is malformed.
absl::StatusOr<TagListPage> ParseTagListPage(absl::string_view json, size_t room);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_TAG_LIST_H_
