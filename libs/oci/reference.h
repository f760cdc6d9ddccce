// Repository references as a WerfBundle names them: `registry.example.com:5000/team/app`,
// or a Docker Hub name (`nginx`, `team/app`, `docker.io/library/nginx`).
//
// The grammar is distribution's (reference/regexp.go): the first component is a
// registry when it contains '.' or ':' or is `localhost`; otherwise the whole
// reference is a Docker Hub path, where a single component gets the implicit
// `library/`. Docker Hub's aliases (docker.io, index.docker.io, registry-1.docker.io)
// canonicalize to docker.io; its API lives at registry-1.docker.io.
#ifndef WERF_OPERATOR_LIBS_OCI_REFERENCE_H_
#define WERF_OPERATOR_LIBS_OCI_REFERENCE_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace werf::oci {

inline constexpr absl::string_view kDockerHubRegistry = "docker.io";
inline constexpr absl::string_view kDockerHubEndpoint = "registry-1.docker.io";

// True for docker.io and its aliases, in any case.
bool IsDockerHub(absl::string_view registry);

// Lowercase host[:port]; Docker Hub aliases become docker.io. Rate limits,
// credentials and metrics are keyed by this name.
std::string CanonicalRegistry(absl::string_view registry);

// A validated repository: canonical registry plus path. Construct with Parse or Create.
class RepositoryRef {
 public:
  // Parses a reference without scheme, tag or digest. Errors say what to change.
  static absl::StatusOr<RepositoryRef> Parse(absl::string_view reference);

  // From separate parts, e.g. a registry host and a path; the same rules apply.
  static absl::StatusOr<RepositoryRef> Create(absl::string_view registry, absl::string_view path);

  // Canonical registry: "docker.io", "registry.example.com:5000".
  const std::string& registry() const { return registry_; }
  // Repository path: "library/nginx", "team/app".
  const std::string& path() const { return path_; }
  // host[:port] that serves the registry API (registry-1.docker.io for Docker Hub).
  std::string endpoint() const;
  // registry/path.
  std::string ToString() const;

  friend bool operator==(const RepositoryRef& a, const RepositoryRef& b) {
    return a.registry_ == b.registry_ && a.path_ == b.path_;
  }
  friend bool operator!=(const RepositoryRef& a, const RepositoryRef& b) { return !(a == b); }
  template <typename H>
  friend H AbslHashValue(H h, const RepositoryRef& ref) {
    return H::combine(std::move(h), ref.registry_, ref.path_);
  }

 private:
  RepositoryRef(std::string registry, std::string path) : registry_(std::move(registry)), path_(std::move(path)) {}

  std::string registry_;
  std::string path_;
};

// OK for a tag per the distribution grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
absl::Status ValidateTag(absl::string_view tag);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_REFERENCE_H_
