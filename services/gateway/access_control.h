// Who is calling and what they may see, decided by the Kubernetes API server the way
// `kubectl` requests are: the bearer token through a TokenReview, the verb on
// werfbundles.werf.io in a namespace through a SubjectAccessReview. Decisions are
// cached briefly (--auth_cache_ttl), so a dashboard refreshing every second costs the
// API server one review per TTL, and a revoked RoleBinding takes effect within it.
//
// Verbs follow Kubernetes: GetBundle and GetBundleHistory need `get` (on the named
// bundle, so resourceNames rules apply), ListBundles and GetSummary `list`,
// WatchBundles both `list` and `watch` (it starts with a snapshot, as `kubectl get -w`
// lists first). A request for one namespace is checked there; a cluster-wide one is
// allowed outright when the verbs are granted cluster-wide, and otherwise filtered to
// the namespaces where they are granted.
//
// A watch outlives the request that opened it, so its access is checked again while it
// is open (NamespaceAccess::Recheck): the token, and every grant it relies on.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_ACCESS_CONTROL_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_ACCESS_CONTROL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
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
  // A user without a token to review again (for tests of decisions).
  static Caller User(UserInfo user) {
    return Caller(std::make_shared<const Identity>(Identity{std::move(user), "", absl::InfiniteFuture()}));
  }

  // Null when auth is off.
  const UserInfo* user() const { return identity_ != nullptr ? &identity_->user : nullptr; }
  // For messages: the username, or "anyone".
  std::string DisplayName() const { return identity_ != nullptr ? identity_->user.username : "anyone"; }
  // When the token stops being accepted, as far as the token itself says (a JWT's
  // `exp`); InfiniteFuture when it does not say, or auth is off.
  absl::Time token_expiry() const {
    return identity_ != nullptr ? identity_->token_expiry : absl::InfiniteFuture();
  }

 private:
  friend class Authorizer;
  struct Identity {
    UserInfo user;
    // Kept (in memory only, never logged nor used as a cache key) so that an open watch
    // can have it reviewed again; empty when there is none.
    std::string token;
    absl::Time token_expiry;
  };
  explicit Caller(std::shared_ptr<const Identity> identity) : identity_(std::move(identity)) {}
  std::shared_ptr<const Identity> identity_;
};

class Authorizer;

// The namespaces one caller may see with some verbs (all of them granted), for one
// request or one open watch. Either the verbs are granted at the cluster scope, or
// decisions are made per namespace, once; namespaces that appear later are decided when
// first met (Decide), which may ask the API server. Events of a watch are matched
// against these decisions, so no event costs a review.
class NamespaceAccess {
 public:
  // Every namespace, for good (auth off).
  NamespaceAccess() = default;
  // `cluster_wide`: the verbs are granted at the cluster scope. Otherwise per namespace,
  // starting from `decided`.
  NamespaceAccess(Authorizer* authorizer, Caller caller, std::vector<std::string> verbs,
                  bool cluster_wide, absl::flat_hash_map<std::string, bool> decided);

  // Every namespace is allowed (auth off, or a cluster-wide grant).
  bool all() const { return authorizer_ == nullptr || cluster_wide_; }
  // From decisions already made; an undecided namespace is not allowed. Never blocks.
  bool AllowsKnown(absl::string_view ns) const ABSL_LOCKS_EXCLUDED(mu_);
  // Decides an undecided namespace first (a SubjectAccessReview unless cached).
  bool Decide(absl::string_view ns) ABSL_LOCKS_EXCLUDED(mu_);
  // The allowed namespaces decided so far, ordered.
  std::vector<std::string> AllowedNamespaces() const ABSL_LOCKS_EXCLUDED(mu_);

  // Whether Recheck has anything to check (auth is on).
  bool rechecked() const { return authorizer_ != nullptr; }
  const Caller& caller() const { return caller_; }

  // Asks again, through the Authorizer's caches, whether the token is still accepted
  // and every grant this access relies on still holds: the cluster-wide grant, or each
  // namespace allowed so far. Unauthenticated when the token expired or is no longer
  // accepted; PermissionDenied naming what was revoked (a watch must then end: its
  // client holds bundles it may no longer see); other errors when the API server could
  // not say. Namespaces denied so far stay denied: what is granted later shows on the
  // next request, as with a Kubernetes watch.
  absl::Status Recheck() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Authorizer* const authorizer_ = nullptr;
  const Caller caller_ = Caller::Anyone();
  const std::vector<std::string> verbs_;
  const bool cluster_wide_ = true;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, bool> decided_ ABSL_GUARDED_BY(mu_);
};

class Authorizer {
 public:
  struct Options {
    absl::Duration cache_ttl = absl::Seconds(10);
    size_t max_cache_entries = 10000;
    // Decides token expiry and the caches' TTL; defaults to common::RealClock().
    // Must outlive the authorizer.
    common::Clock* clock = nullptr;
  };

  // `reviewer` null: auth is off and every caller is allowed everything.
  Authorizer(std::shared_ptr<AccessReviewer> reviewer, Options options);

  bool enabled() const { return reviewer_ != nullptr; }

  // The caller behind an `authorization` header or metadata value ("Bearer <token>").
  // Auth off: Anyone. Unauthenticated when the value is missing or not accepted.
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization);

  // For an open watch: OK while the caller's token is accepted (reviewed again, cached
  // like Authenticate); Unauthenticated once it has expired (a JWT's `exp`, without
  // the API server's leeway) or the API server rejects it.
  absl::Status Reauthenticate(const Caller& caller);

  // OK, or PermissionDenied naming the user, the verb and the namespace.
  absl::Status Authorize(const Caller& caller, const AccessRequest& request);

  // The namespaces a request with `verbs` (all needed) may see. `ns` set: that one
  // (PermissionDenied unless every verb is granted there). `ns` empty: all namespaces
  // when the verbs are granted cluster-wide, otherwise those of `known_namespaces` where
  // they are granted (and later ones as they are decided); PermissionDenied when they
  // are granted in none of them.
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> ScopeNamespaces(
      const Caller& caller, const std::vector<std::string>& verbs, absl::string_view ns,
      const std::vector<std::string>& known_namespaces);

  // Whether `caller` may do `request`, cached; errors when the API server could not say.
  absl::StatusOr<bool> Allowed(const Caller& caller, const AccessRequest& request);
  // The first of `verbs` that `caller` may not do in `ns` (empty: at the cluster
  // scope), or nullopt when all are allowed.
  absl::StatusOr<std::optional<std::string>> FirstDenied(const Caller& caller,
                                                         const std::vector<std::string>& verbs,
                                                         absl::string_view ns);

 private:
  // The token's user: from the cache, or a TokenReview. Unauthenticated once `expiry`
  // has passed, whatever the cache says.
  absl::StatusOr<UserInfo> ReviewToken(absl::string_view token, absl::Time expiry);

  const std::shared_ptr<AccessReviewer> reviewer_;
  const Options options_;
  common::Clock& clock_;
  // SHA-256 of the token -> the user, or the rejection. Tokens themselves are not kept.
  ExpiringCache<absl::StatusOr<UserInfo>> tokens_;
  ExpiringCache<bool> decisions_;
};

// The bearer token in an `authorization` value; empty when there is none.
absl::string_view BearerToken(absl::string_view authorization);

// Kubernetes' wording for a denial, so it reads like kubectl's: `user "x" cannot list
// resource "werfbundles" in API group "werf.io" in the namespace "shop"`.
std::string DeniedMessage(const Caller& caller, const AccessRequest& request);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_ACCESS_CONTROL_H_
