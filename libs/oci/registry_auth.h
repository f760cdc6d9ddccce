// Registry authentication: the Bearer token flow of the distribution token
// spec (anonymous, username/password, identity tokens via OAuth2
// grant_type=refresh_token) and Basic.
//
// After the first 401 from a registry, its challenge is remembered per
// registry and credential identity, so later requests, for any repository,
// carry a token from the start: a poll with a cached token is one request, a
// poll with an expired one is two (token, then registry), never three.
#ifndef WERF_OPERATOR_LIBS_OCI_REGISTRY_AUTH_H_
#define WERF_OPERATOR_LIBS_OCI_REGISTRY_AUTH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/clock.h"
#include "libs/http/http_client.h"
#include "libs/oci/reference.h"
#include "libs/oci/registry_access.h"
#include "libs/oci/token_cache.h"

namespace werf::oci {

// What a request needs authorization for.
struct AuthTarget {
  const RepositoryRef* repository = nullptr;
  const RegistryAccess* access = nullptr;
  // TLS options for the token service, the registry's own.
  http::TlsOptions tls{};
  // Whether plain HTTP is acceptable for the registry, hence for its token service too.
  bool plain_http_allowed = false;
};

struct RegistryAuthOptions {
  size_t max_cached_tokens = 100000;
  // OAuth2 client_id sent with identity-token exchanges.
  std::string client_id = "werf-operator";
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(30);
  size_t max_token_response_bytes = 1 << 20;
};

class RegistryAuth {
 public:
  // Sends one request and accounts for it (metrics, per-call statistics).
  using Sender = absl::FunctionRef<absl::StatusOr<http::HttpResponse>(const http::HttpRequest&)>;

  RegistryAuth(common::Clock& clock, RegistryAuthOptions options);

  RegistryAuth(const RegistryAuth&) = delete;
  RegistryAuth& operator=(const RegistryAuth&) = delete;

  // The Authorization header value to send up front, when the registry's
  // scheme is known (fetching a token if none is cached); nullopt to send none.
  absl::StatusOr<std::optional<std::string>> Authorize(const AuthTarget& target, Sender send)
      ABSL_LOCKS_EXCLUDED(mu_);

  // After a 401 with `www_authenticate`: learns the challenge, forgets any
  // token the registry just refused, and returns the header for one retry.
  absl::StatusOr<std::string> OnChallenge(const AuthTarget& target, absl::string_view www_authenticate, Sender send)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The pull scope of a repository: "repository:<path>:pull".
  static std::string PullScope(const RepositoryRef& repository);

 private:
  struct Challenge {
    bool bearer = false;
    std::string realm{};
    std::string service{};
  };

  std::optional<Challenge> KnownChallenge(const AuthTarget& target) const ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::string> BearerHeader(const AuthTarget& target, const Challenge& challenge,
                                           const std::vector<std::string>& scopes, Sender send);
  absl::StatusOr<std::string> FetchToken(const AuthTarget& target, const Challenge& challenge,
                                         const std::vector<std::string>& scopes, absl::Duration& expires_in,
                                         Sender send) const;
  TokenKey KeyFor(const AuthTarget& target, const Challenge& challenge, const std::vector<std::string>& scopes) const;

  const RegistryAuthOptions options_;
  TokenCache tokens_;
  mutable absl::Mutex mu_;
  // registry + credential identity -> its challenge; bounded by registries x credentials in use.
  absl::flat_hash_map<std::string, Challenge> challenges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_REGISTRY_AUTH_H_
