// Credentials from Kubernetes Secrets, the way kubelet and the docker CLI read them.
//
// kubernetes.io/dockerconfigjson: `.dockerconfigjson` holds {"auths": {KEY: ENTRY}}
// where KEY is a host ("registry.example.com:5000"), a URL ("https://index.docker.io/v1/")
// or a host with a repository prefix ("registry.example.com/team"), and ENTRY has
// `auth` (base64 of user:password), or `username`/`password`, and optionally
// `identitytoken` or `registrytoken`. kubernetes.io/dockercfg is the same map
// without "auths". kubernetes.io/basic-auth has `username` and `password` keys.
//
// The caller reads the Secret; this code only sees its decoded data.
#ifndef WERF_OPERATOR_LIBS_OCI_DOCKER_CONFIG_H_
#define WERF_OPERATOR_LIBS_OCI_DOCKER_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/oci/credentials.h"
#include "libs/oci/reference.h"

namespace werf::oci {

inline constexpr absl::string_view kDockerConfigJsonSecretType = "kubernetes.io/dockerconfigjson";
inline constexpr absl::string_view kDockerCfgSecretType = "kubernetes.io/dockercfg";
inline constexpr absl::string_view kBasicAuthSecretType = "kubernetes.io/basic-auth";

// Secret data: key -> decoded bytes.
using SecretData = std::map<std::string, std::string, std::less<>>;

class DockerConfig {
 public:
  // `.dockerconfigjson` content: {"auths": {...}}.
  static absl::StatusOr<DockerConfig> Parse(absl::string_view json);
  // `.dockercfg` content: the auths map itself.
  static absl::StatusOr<DockerConfig> ParseLegacy(absl::string_view json);

  // Credentials for `repository`: among the entries for its registry (Docker
  // Hub aliases are one registry), the one with the longest repository prefix
  // that contains it; on a tie, the first key in byte order. Entries without
  // credentials (credential-helper stubs) are skipped. nullopt when none
  // matches; an error when the matching entry is malformed.
  absl::StatusOr<std::optional<Credentials>> Find(const RepositoryRef& repository) const;

 private:
  struct Entry {
    std::string key{};          // as written, for error messages
    std::string registry{};     // canonical
    std::string path_prefix{};  // "" matches every repository
    Credentials credentials{};
    std::string error{};  // why the entry is unusable, reported only if it matches
  };

  std::vector<Entry> entries_;
};

// Credentials from a Secret of `type` with `data`, for `repository`.
// dockerconfigjson/dockercfg select by registry (nullopt: no entry, i.e.
// anonymous access); basic-auth applies to any registry. An Opaque Secret is
// read by whichever keys it has. Errors name the Secret key, never a value.
absl::StatusOr<std::optional<Credentials>> CredentialsFromSecret(absl::string_view type, const SecretData& data,
                                                                 const RepositoryRef& repository);

// The key of `repository`'s registry in a docker config's "auths": its host, or Docker
// Hub's "https://index.docker.io/v1/", as the docker CLI writes it.
std::string DockerConfigAuthKey(const RepositoryRef& repository);

// The docker config ({"auths": ...} JSON, what $DOCKER_CONFIG/config.json holds) a client
// such as werf reads, from the same Secrets CredentialsFromSecret reads and validated the
// same way: dockerconfigjson as it is, dockercfg wrapped in "auths", basic-auth (or
// username/password keys) as one `auth` entry for the repository's registry.
absl::StatusOr<std::string> DockerConfigJsonFromSecret(absl::string_view type, const SecretData& data,
                                                       const RepositoryRef& repository);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_DOCKER_CONFIG_H_
