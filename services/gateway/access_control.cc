#include "services/gateway/access_control.h"

#include <algorithm>
#include <utility>

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/common/logging.h"
#include "services/gateway/gateway_metrics.h"

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

// Kubernetes' own wording, so the message reads like kubectl's.
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

}  // namespace

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

NamespaceAccess::NamespaceAccess(Authorizer* authorizer, Caller caller, std::string verb,
                                 absl::flat_hash_map<std::string, bool> decided)
    : authorizer_(authorizer), caller_(std::move(caller)), verb_(std::move(verb)),
      decided_(std::move(decided)) {}

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
  const absl::StatusOr<bool> allowed =
      authorizer_->Allowed(caller_, AccessRequest{verb_, std::string(ns), ""});
  if (!allowed.ok()) {
    // Undecided stays undecided: the next change in the namespace asks again.
    common::LogWarning("cannot decide access to a namespace; hiding it for now",
                       {{"namespace", ns}, {"user", caller_.DisplayName()},
                        {"error", allowed.status().ToString()}});
    return false;
  }
  absl::MutexLock lock(&mu_);
  decided_.insert_or_assign(std::string(ns), *allowed);
  return *allowed;
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

// --- Authorizer ----------------------------------------------------------------------------

Authorizer::Authorizer(std::shared_ptr<AccessReviewer> reviewer, Options options)
    : reviewer_(std::move(reviewer)),
      options_(options),
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
  const std::string key = Sha256Hex(token);
  const absl::Time now = absl::Now();
  if (std::optional<absl::StatusOr<UserInfo>> cached = tokens_.Get(key, now)) {
    if (!cached->ok()) return cached->status();
    return Caller::User(**std::move(cached));
  }
  absl::StatusOr<UserInfo> reviewed = reviewer_->ReviewToken(token);
  if (reviewed.ok()) {
    CountAccessReview("token", "allowed");
  } else if (absl::IsUnauthenticated(reviewed.status())) {
    CountAccessReview("token", "denied");
  } else {
    CountAccessReview("token", "error");
    return reviewed.status();  // not cached: the next request asks again
  }
  tokens_.Put(key, reviewed, now + options_.cache_ttl, now);
  if (!reviewed.ok()) return reviewed.status();
  return Caller::User(*std::move(reviewed));
}

absl::StatusOr<bool> Authorizer::Allowed(const Caller& caller, const AccessRequest& request) {
  const UserInfo* user = caller.user();
  if (user == nullptr) return true;
  const std::string key = DecisionKey(*user, request);
  const absl::Time now = absl::Now();
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

absl::Status Authorizer::Authorize(const Caller& caller, const AccessRequest& request) {
  absl::StatusOr<bool> allowed = Allowed(caller, request);
  if (!allowed.ok()) return allowed.status();
  if (!*allowed) return absl::PermissionDeniedError(DeniedMessage(caller, request));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<NamespaceAccess>> Authorizer::ScopeNamespaces(
    const Caller& caller, absl::string_view verb, const std::vector<std::string>& known_namespaces) {
  const AccessRequest cluster_wide{std::string(verb), "", ""};
  absl::StatusOr<bool> everywhere = Allowed(caller, cluster_wide);
  if (!everywhere.ok()) return everywhere.status();
  if (*everywhere) return std::make_shared<NamespaceAccess>();

  absl::flat_hash_map<std::string, bool> decided;
  bool any = false;
  for (const std::string& ns : known_namespaces) {
    absl::StatusOr<bool> allowed = Allowed(caller, AccessRequest{std::string(verb), ns, ""});
    if (!allowed.ok()) return allowed.status();
    decided.emplace(ns, *allowed);
    any = any || *allowed;
  }
  if (!any) {
    return absl::PermissionDeniedError(absl::StrCat(
        DeniedMessage(caller, cluster_wide), ", nor in any namespace that holds WerfBundles; "
        "ask for a namespace you may ", verb, " in, or for a Role granting it"));
  }
  return std::make_shared<NamespaceAccess>(this, caller, std::string(verb), std::move(decided));
}

}  // namespace werf::gateway
