// The Link header (RFC 8288) that registries page tag lists with:
//
//   Link: </v2/team/app/tags/list?last=v1.9&n=1000>; rel="next"
//
// Targets may be relative or absolute; resolving them against the request URL
// is the caller's business (url.h), since only the caller knows that URL.
#ifndef WERF_OPERATOR_LIBS_OCI_LINK_HEADER_H_
#define WERF_OPERATOR_LIBS_OCI_LINK_HEADER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace werf::oci {

struct LinkValue {
  std::string target;  // the URI-Reference between '<' and '>', as sent
  // Lowercase names; values unquoted. Per RFC 8288 only the first `rel` counts,
  // and the first of any duplicate wins. A parameter without a value maps to "".
  std::map<std::string, std::string, std::less<>> params;

  // True when the space-separated `rel` holds `relation` (case-insensitive).
  bool HasRel(absl::string_view relation) const;
};

inline constexpr size_t kMaxLinkHeaderLength = 64 * 1024;

// Parses every link-value in `header` (several header lines joined with ", ").
absl::StatusOr<std::vector<LinkValue>> ParseLinkHeader(absl::string_view header);

// The target of the first rel="next" link; nullopt when there is none.
absl::StatusOr<std::optional<std::string>> FindNextLink(absl::string_view header);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_LINK_HEADER_H_
