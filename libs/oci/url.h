// The little URL handling the registry protocol needs: query escaping, origins,
// and RFC 3986 reference resolution for pagination links (`Link: </v2/...>`,
// which registries send relative or absolute). Only http and https exist here.
#ifndef WERF_OPERATOR_LIBS_OCI_URL_H_
#define WERF_OPERATOR_LIBS_OCI_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace werf::oci {

// Percent-encodes everything but RFC 3986 unreserved characters, for a query
// name or value (so ':' in a scope and '+' in a tag survive).
std::string QueryEscape(absl::string_view text);

struct ParsedUrl {
  std::string scheme;     // "http" or "https", lowercase
  std::string authority;  // host[:port], lowercase, without userinfo
  std::string path;       // begins with '/'; "/" when the URL has none
  std::string query;      // without '?'; empty when absent
  bool has_query = false;

  // scheme://authority, with the scheme's default port dropped.
  std::string Origin() const;
  // The URL without fragment.
  std::string ToString() const;
};

// Parses an absolute http(s) URL. Userinfo is rejected: credentials never travel in URLs.
absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url);

// Resolves `reference` against the absolute `base` (RFC 3986 section 5.2),
// dropping any fragment.
absl::StatusOr<std::string> ResolveUrl(absl::string_view base, absl::string_view reference);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_URL_H_
