// Who is calling and what they may see, decided by the Kubernetes API server the way
// `kubectl` requests are: the bearer token through a TokenReview, the verb on
// werfbundles.werf.io in a namespace through a SubjectAccessReview. Decisions are
// cached briefly (--auth_cache_ttl), so a dashboard refreshing every second costs the
// API server one review per TTL, and a revoked RoleBinding takes effect within it.
//
// Verbs follow Kubernetes: GetBundle and GetBundleHistory need `get` (on the named
// bundle, so resourceNames rules apply), ListBundles and GetSummary `list`,
// WatchBundles `watch`. A request for one namespace is checked there; a cluster-wide
// one is allowed outright when the verb is granted cluster-wide, and otherwise
// filtered to the namespaces where it is granted.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_ACCESS_CONTROL_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_ACCESS_CONTROL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/expiring_cache.h"

namespace werf::gateway {

// The authenticated user, as TokenReview reports it and SubjectAccessReview wants it.
struct UserInfo {
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

// An action on werfbundles.werf.io.
struct AccessRequest {
  std::string verb;  // get, list, watch
  std::string ns;    // empty: cluster-wide
  std::string name;  // empty: any bundle
};

// The API server's reviews. KubeAccessReviewer is the real one.
class AccessReviewer {
 public:
  virtual ~AccessReviewer() = default;
  // The token's user. Unauthenticated when the API server does not accept the token;
  // other errors when it could not be asked.
  virtual absl::StatusOr<UserInfo> ReviewToken(absl::string_view token) = 0;
  // Whether `user` may do `request`.
  virtual absl::StatusOr<bool> ReviewAccess(const UserInfo& user, const AccessRequest& request) = 0;
};

// The caller of one request: anyone (auth off) or one authenticated user.
class Caller {
 public:
  static Caller Anyone() { return Caller(nullptr); }
  static Caller User(UserInfo user) { return Caller(std::make_shared<const UserInfo>(std::move(user))); }

  // Null when auth is off.
  const UserInfo* user() const { return user_.get(); }
  // For messages: the username, or "anyone".
  std::string DisplayName() const { return user_ != nullptr ? user_->username : "anyone"; }

 private:
  explicit Caller(std::shared_ptr<const UserInfo> user) : user_(std::move(user)) {}
  std::shared_ptr<const UserInfo> user_;
};

class Authorizer;

// The namespaces one caller may see with one verb, for a cluster-wide request.
// Decisions are made per namespace, once; namespaces that appear later are decided
// when first met (Decide), which may ask the API server.
class NamespaceAccess {
 public:
  // Every namespace.
  NamespaceAccess() = default;
  // Per namespace, starting from `decided`.
  NamespaceAccess(Authorizer* authorizer, Caller caller, std::string verb,
                  absl::flat_hash_map<std::string, bool> decided);

  bool all() const { return authorizer_ == nullptr; }
  // From decisions already made; an undecided namespace is not allowed. Never blocks.
  bool AllowsKnown(absl::string_view ns) const ABSL_LOCKS_EXCLUDED(mu_);
  // Decides an undecided namespace first (a SubjectAccessReview unless cached).
  bool Decide(absl::string_view ns) ABSL_LOCKS_EXCLUDED(mu_);
  // The allowed namespaces decided so far, ordered.
  std::vector<std::string> AllowedNamespaces() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Authorizer* const authorizer_ = nullptr;
  const Caller caller_ = Caller::Anyone();
  const std::string verb_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, bool> decided_ ABSL_GUARDED_BY(mu_);
};

class Authorizer {
 public:
  struct Options {
    absl::Duration cache_ttl = absl::Seconds(10);
    size_t max_cache_entries = 10000;
  };

  // `reviewer` null: auth is off and every caller is allowed everything.
  Authorizer(std::shared_ptr<AccessReviewer> reviewer, Options options);

  bool enabled() const { return reviewer_ != nullptr; }

  // The caller behind an `authorization` header or metadata value ("Bearer <token>").
  // Auth off: Anyone. Unauthenticated when the value is missing or not accepted.
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization);

  // OK, or PermissionDenied naming the user, the verb and the namespace.
  absl::Status Authorize(const Caller& caller, const AccessRequest& request);

  // For a cluster-wide request: all namespaces when `verb` is granted cluster-wide,
  // otherwise those of `known_namespaces` where it is granted (and later ones as they
  // are decided). PermissionDenied when it is granted in none of them.
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> ScopeNamespaces(
      const Caller& caller, absl::string_view verb, const std::vector<std::string>& known_namespaces);

  // Whether `caller` may do `request`, cached; errors when the API server could not say.
  absl::StatusOr<bool> Allowed(const Caller& caller, const AccessRequest& request);

 private:
  const std::shared_ptr<AccessReviewer> reviewer_;
  const Options options_;
  // SHA-256 of the token -> the user, or the rejection. Tokens themselves are not kept.
  ExpiringCache<absl::StatusOr<UserInfo>> tokens_;
  ExpiringCache<bool> decisions_;
};

// The bearer token in an `authorization` value; empty when there is none.
absl::string_view BearerToken(absl::string_view authorization);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_ACCESS_CONTROL_H_
