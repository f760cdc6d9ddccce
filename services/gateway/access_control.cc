#include "services/gateway/access_control.h"

#include <algorithm>
#include <utility>

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/token_expiry.h"

namespace werf::gateway {
namespace {

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// Everything a SubjectAccessReview's answer depends on; fields are joined with a
// character that cannot occur in any of them.
std::string DecisionKey(const UserInfo& user, const AccessRequest& request) {
  std::vector<std::string> groups = user.groups;
  std::sort(groups.begin(), groups.end());
  std::string key = absl::StrCat(user.username, "\x1f", user.uid, "\x1f", absl::StrJoin(groups, "\x1e"));
  for (const auto& [name, values] : user.extra) {
    absl::StrAppend(&key, "\x1f", name, "=", absl::StrJoin(values, "\x1e"));
  }
  absl::StrAppend(&key, "\x1d", request.verb, "\x1f", request.ns, "\x1f", request.name);
  return key;
}

}  // namespace

std::string DeniedMessage(const Caller& caller, const AccessRequest& request) {
  std::string message = absl::StrCat("user \"", caller.DisplayName(), "\" cannot ", request.verb,
                                     " resource \"werfbundles\" in API group \"werf.io\"");
  if (!request.name.empty()) absl::StrAppend(&message, " named \"", request.name, "\"");
  if (request.ns.empty()) {
    absl::StrAppend(&message, " at the cluster scope");
  } else {
    absl::StrAppend(&message, " in the namespace \"", request.ns, "\"");
  }
  return message;
}

absl::string_view BearerToken(absl::string_view authorization) {
  authorization = absl::StripAsciiWhitespace(authorization);
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return "";
  }
  return absl::StripLeadingAsciiWhitespace(authorization.substr(kScheme.size()));
}

// --- NamespaceAccess --------------------------------------------------------------------

NamespaceAccess::NamespaceAccess(Authorizer* authorizer, Caller caller, std::vector<std::string> verbs,
                                 bool cluster_wide, absl::flat_hash_map<std::string, bool> decided)
    : authorizer_(authorizer), caller_(std::move(caller)), verbs_(std::move(verbs)),
      cluster_wide_(cluster_wide), decided_(std::move(decided)) {}

bool NamespaceAccess::AllowsKnown(absl::string_view ns) const {
  if (all()) return true;
  absl::ReaderMutexLock lock(&mu_);
  const auto it = decided_.find(ns);
  return it != decided_.end() && it->second;
}

bool NamespaceAccess::Decide(absl::string_view ns) {
  if (all()) return true;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (const auto it = decided_.find(ns); it != decided_.end()) return it->second;
  }
  const absl::StatusOr<std::optional<std::string>> denied = authorizer_->FirstDenied(caller_, verbs_, ns);
  if (!denied.ok()) {
    // Undecided stays undecided: the next change in the namespace asks again.
    common::LogWarning("cannot decide access to a namespace; hiding it for now",
                       {{"namespace", ns}, {"user", caller_.DisplayName()},
                        {"error", denied.status().ToString()}});
    return false;
  }
  const bool allowed = !denied->has_value();
  absl::MutexLock lock(&mu_);
  decided_.insert_or_assign(std::string(ns), allowed);
  return allowed;
}

std::vector<std::string> NamespaceAccess::AllowedNamespaces() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> allowed;
  for (const auto& [ns, is_allowed] : decided_) {
    if (is_allowed) allowed.push_back(ns);
  }
  std::sort(allowed.begin(), allowed.end());
  return allowed;
}

absl::Status NamespaceAccess::Recheck() {
  if (authorizer_ == nullptr) return absl::OkStatus();
  RETURN_IF_ERROR(authorizer_->Reauthenticate(caller_));
  // What this access relies on ("" for the cluster scope); asked outside the lock
  // (reviews may take a while).
  const std::vector<std::string> relied_on =
      cluster_wide_ ? std::vector<std::string>{""} : AllowedNamespaces();
  for (const std::string& ns : relied_on) {
    ASSIGN_OR_RETURN(std::optional<std::string> denied, authorizer_->FirstDenied(caller_, verbs_, ns));
    if (denied.has_value()) {
      return absl::PermissionDeniedError(absl::StrCat(
          DeniedMessage(caller_, {*denied, ns, ""}),
          " any more; this watch ends (start a new one to watch what you may see now)"));
    }
  }
  return absl::OkStatus();
}

// --- Authorizer ----------------------------------------------------------------------------

Authorizer::Authorizer(std::shared_ptr<AccessReviewer> reviewer, Options options)
    : reviewer_(std::move(reviewer)),
      options_(options),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()),
      tokens_(options.max_cache_entries),
      decisions_(options.max_cache_entries) {}

absl::StatusOr<Caller> Authorizer::Authenticate(absl::string_view authorization) {
  if (!enabled()) return Caller::Anyone();
  const absl::string_view token = BearerToken(authorization);
  if (token.empty()) {
    return absl::UnauthenticatedError(
        "this gateway requires a Kubernetes bearer token: send the header "
        "\"authorization: Bearer <token>\" (e.g. from kubectl create token <serviceaccount>)");
  }
  const absl::Time expiry = UnverifiedJwtExpiry(token).value_or(absl::InfiniteFuture());
  ASSIGN_OR_RETURN(UserInfo user, ReviewToken(token, expiry));
  return Caller(std::make_shared<const Caller::Identity>(
      Caller::Identity{std::move(user), std::string(token), expiry}));
}

absl::Status Authorizer::Reauthenticate(const Caller& caller) {
  if (!enabled() || caller.identity_ == nullptr || caller.identity_->token.empty()) {
    return absl::OkStatus();
  }
  const Caller::Identity& identity = *caller.identity_;
  ASSIGN_OR_RETURN(UserInfo user, ReviewToken(identity.token, identity.token_expiry));
  if (user.username != identity.user.username || user.uid != identity.user.uid) {
    // Cannot happen with Kubernetes' authenticators; if it did, the decisions made for
    // the first user must not serve another.
    return absl::UnauthenticatedError(
        "the bearer token now names another user; start a new request with it");
  }
  return absl::OkStatus();
}

absl::StatusOr<UserInfo> Authorizer::ReviewToken(absl::string_view token, absl::Time expiry) {
  const absl::Time now = clock_.Now();
  if (now >= expiry) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the bearer token expired at ", absl::FormatTime(absl::RFC3339_sec, expiry, absl::UTCTimeZone()),
        "; get a new one (e.g. kubectl create token <serviceaccount>)"));
  }
  const std::string key = Sha256Hex(token);
  if (std::optional<absl::StatusOr<UserInfo>> cached = tokens_.Get(key, now)) return *std::move(cached);
  absl::StatusOr<UserInfo> reviewed = reviewer_->ReviewToken(token);
  if (reviewed.ok()) {
    CountAccessReview("token", "allowed");
  } else if (absl::IsUnauthenticated(reviewed.status())) {
    CountAccessReview("token", "denied");
  } else {
    CountAccessReview("token", "error");
    return reviewed.status();  // not cached: the next request asks again
  }
  // Not remembered past the token's own expiry.
  tokens_.Put(key, reviewed, std::min(now + options_.cache_ttl, expiry), now);
  return reviewed;
}

absl::StatusOr<bool> Authorizer::Allowed(const Caller& caller, const AccessRequest& request) {
  const UserInfo* user = caller.user();
  if (user == nullptr) return true;
  const std::string key = DecisionKey(*user, request);
  const absl::Time now = clock_.Now();
  if (std::optional<bool> cached = decisions_.Get(key, now)) return *cached;
  absl::StatusOr<bool> allowed = reviewer_->ReviewAccess(*user, request);
  if (!allowed.ok()) {
    CountAccessReview("access", "error");
    return allowed.status();
  }
  CountAccessReview("access", *allowed ? "allowed" : "denied");
  decisions_.Put(key, *allowed, now + options_.cache_ttl, now);
  return *allowed;
}

absl::StatusOr<std::optional<std::string>> Authorizer::FirstDenied(const Caller& caller,
                                                                   const std::vector<std::string>& verbs,
                                                                   absl::string_view ns) {
  for (const std::string& verb : verbs) {
    ASSIGN_OR_RETURN(bool allowed, Allowed(caller, AccessRequest{verb, std::string(ns), ""}));
    if (!allowed) return verb;
  }
  return std::nullopt;
}

absl::Status Authorizer::Authorize(const Caller& caller, const AccessRequest& request) {
  absl::StatusOr<bool> allowed = Allowed(caller, request);
  if (!allowed.ok()) return allowed.status();
  if (!*allowed) return absl::PermissionDeniedError(DeniedMessage(caller, request));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<NamespaceAccess>> Authorizer::ScopeNamespaces(
    const Caller& caller, const std::vector<std::string>& verbs, absl::string_view ns,
    const std::vector<std::string>& known_namespaces) {
  if (!ns.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> denied, FirstDenied(caller, verbs, ns));
    if (denied.has_value()) {
      return absl::PermissionDeniedError(DeniedMessage(caller, {*denied, std::string(ns), ""}));
    }
    return std::make_shared<NamespaceAccess>(this, caller, verbs, /*cluster_wide=*/false,
                                             absl::flat_hash_map<std::string, bool>{{std::string(ns), true}});
  }
  ASSIGN_OR_RETURN(std::optional<std::string> denied_everywhere, FirstDenied(caller, verbs, ""));
  if (!denied_everywhere.has_value()) {
    return std::make_shared<NamespaceAccess>(this, caller, verbs, /*cluster_wide=*/true,
                                             absl::flat_hash_map<std::string, bool>{});
  }
  absl::flat_hash_map<std::string, bool> decided;
  bool any = false;
  for (const std::string& known : known_namespaces) {
    ASSIGN_OR_RETURN(std::optional<std::string> denied, FirstDenied(caller, verbs, known));
    decided.emplace(known, !denied.has_value());
    any = any || !denied.has_value();
  }
  if (!any) {
    return absl::PermissionDeniedError(absl::StrCat(
        DeniedMessage(caller, {*denied_everywhere, "", ""}),
        ", nor in any namespace that holds WerfBundles; ask for a namespace you may ",
        absl::StrJoin(verbs, " and "), " in, or for a Role granting it"));
  }
  return std::make_shared<NamespaceAccess>(this, caller, verbs, /*cluster_wide=*/false, std::move(decided));
}

}  // namespace werf::gateway
