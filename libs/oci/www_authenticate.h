// WWW-Authenticate (RFC 9110 section 11.6.1) as registries send it:
//
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"
//   Basic realm="Registry Realm"
//
// One header value may carry several challenges, and parameter values may be
// quoted strings containing commas and backslash escapes, so a split on ',' is
// not enough. Several header lines are joined with ", " before parsing.
#ifndef WERF_OPERATOR_LIBS_OCI_WWW_AUTHENTICATE_H_
#define WERF_OPERATOR_LIBS_OCI_WWW_AUTHENTICATE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace werf::oci {

struct AuthChallenge {
  std::string scheme;   // lowercase: "bearer", "basic", ...
  std::string token68;  // for schemes that send one instead of parameters
  // Lowercase names; values unquoted and unescaped. The first of duplicates wins.
  std::map<std::string, std::string, std::less<>> params;

  // The parameter's value, or empty when absent.
  std::string Param(absl::string_view name) const;
};

// Longer values are rejected before parsing (registries send a few hundred bytes).
inline constexpr size_t kMaxChallengeHeaderLength = 16 * 1024;

// Parses every challenge in `header`. Errors name the offset and what was expected.
absl::StatusOr<std::vector<AuthChallenge>> ParseWwwAuthenticate(absl::string_view header);

// The first challenge with `scheme` (case-insensitive), or nullptr.
const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges, absl::string_view scheme);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_WWW_AUTHENTICATE_H_
