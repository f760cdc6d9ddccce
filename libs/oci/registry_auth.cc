#include "libs/oci/registry_auth.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/oci/errors.h"
#include "libs/oci/registry_errors.h"
#include "libs/oci/url.h"
#include "libs/oci/www_authenticate.h"
#include "nlohmann/json.hpp"

namespace werf::oci {
namespace {

using Json = nlohmann::json;

std::string BasicHeader(const Credentials& credentials) {
  return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(credentials.username, ":", credentials.password)));
}

std::string ChallengeKey(const AuthTarget& target) {
  return absl::StrCat(target.repository->registry(), "\n", target.access->Identity());
}

absl::Status InvalidChallenge(const AuthTarget& target, absl::string_view why) {
  return MakeError(absl::StatusCode::kDataLoss,
                   absl::StrCat(target.repository->registry(), " sent an unusable authentication challenge: ", why),
                   {.reason = ErrorReason::kInvalidResponse, .http_status = 401});
}

}  // namespace

RegistryAuth::RegistryAuth(common::Clock& clock, RegistryAuthOptions options)
    : options_(std::move(options)), tokens_(clock, options_.max_cached_tokens) {}

std::string RegistryAuth::PullScope(const RepositoryRef& repository) {
  return absl::StrCat("repository:", repository.path(), ":pull");
}

std::optional<RegistryAuth::Challenge> RegistryAuth::KnownChallenge(const AuthTarget& target) const {
  absl::MutexLock lock(&mu_);
  auto it = challenges_.find(ChallengeKey(target));
  if (it == challenges_.end()) return std::nullopt;
  return it->second;
}

TokenKey RegistryAuth::KeyFor(const AuthTarget& target, const Challenge& challenge,
                              const std::vector<std::string>& scopes) const {
  return TokenKey{.realm = challenge.realm,
                  .service = challenge.service,
                  .scope = absl::StrJoin(scopes, " "),
                  .identity = target.access->Identity()};
}

absl::StatusOr<std::optional<std::string>> RegistryAuth::Authorize(const AuthTarget& target, Sender send) {
  const RegistryAccess& access = *target.access;
  if (access.has_credentials() && !access.credentials->registry_token.empty()) {
    return absl::StrCat("Bearer ", access.credentials->registry_token);
  }
  std::optional<Challenge> challenge = KnownChallenge(target);
  if (!challenge.has_value()) return std::nullopt;
  if (!challenge->bearer) {
    if (!access.has_credentials() || !access.credentials->has_password()) return std::nullopt;
    return BasicHeader(*access.credentials);
  }
  ASSIGN_OR_RETURN(std::string header, BearerHeader(target, *challenge, {PullScope(*target.repository)}, send));
  return header;
}

absl::StatusOr<std::string> RegistryAuth::OnChallenge(const AuthTarget& target, absl::string_view www_authenticate,
                                                      Sender send) {
  const std::string& registry = target.repository->registry();
  const RegistryAccess& access = *target.access;
  absl::StatusOr<std::vector<AuthChallenge>> parsed = ParseWwwAuthenticate(www_authenticate);
  if (!parsed.ok()) return InvalidChallenge(target, parsed.status().message());
  if (access.has_credentials() && !access.credentials->registry_token.empty()) {
    return MakeError(absl::StatusCode::kUnauthenticated,
                     absl::StrCat("the registry token was refused: ", CheckCredentialsAdvice(registry)),
                     {.reason = ErrorReason::kUnauthorized, .http_status = 401});
  }
  if (const AuthChallenge* bearer = FindChallenge(*parsed, "bearer")) {
    Challenge challenge{.bearer = true, .realm = bearer->Param("realm"), .service = bearer->Param("service")};
    if (challenge.realm.empty()) return InvalidChallenge(target, "Bearer challenge without realm");
    {
      absl::MutexLock lock(&mu_);
      challenges_.insert_or_assign(ChallengeKey(target), challenge);
    }
    std::vector<std::string> scopes = {PullScope(*target.repository)};
    // The registry may want a scope of its own; asking for both keeps ours in the token.
    if (const std::string scope = bearer->Param("scope"); !scope.empty() && scope != scopes.front()) {
      scopes.push_back(scope);
    }
    tokens_.Invalidate(KeyFor(target, challenge, {PullScope(*target.repository)}));
    tokens_.Invalidate(KeyFor(target, challenge, scopes));
    return BearerHeader(target, challenge, scopes, send);
  }
  if (FindChallenge(*parsed, "basic") != nullptr) {
    {
      absl::MutexLock lock(&mu_);
      challenges_.insert_or_assign(ChallengeKey(target), Challenge{.bearer = false});
    }
    if (!access.has_credentials() || !access.credentials->has_password()) {
      return MakeError(absl::StatusCode::kUnauthenticated,
                       absl::StrCat(registry,
                                    " requires a username and password (HTTP Basic): set the bundle's "
                                    "registry.secretRef"),
                       {.reason = ErrorReason::kUnauthorized, .http_status = 401});
    }
    return BasicHeader(*access.credentials);
  }
  return InvalidChallenge(target, absl::StrCat("unsupported scheme ", parsed->front().scheme,
                                               " (only Bearer and Basic are supported)"));
}

absl::StatusOr<std::string> RegistryAuth::BearerHeader(const AuthTarget& target, const Challenge& challenge,
                                                       const std::vector<std::string>& scopes, Sender send) {
  const TokenKey key = KeyFor(target, challenge, scopes);
  if (std::optional<std::string> token = tokens_.Get(key)) return absl::StrCat("Bearer ", *token);
  absl::Duration expires_in;
  ASSIGN_OR_RETURN(const std::string token, FetchToken(target, challenge, scopes, expires_in, send));
  tokens_.Put(key, token, expires_in);
  return absl::StrCat("Bearer ", token);
}

absl::StatusOr<std::string> RegistryAuth::FetchToken(const AuthTarget& target, const Challenge& challenge,
                                                     const std::vector<std::string>& scopes,
                                                     absl::Duration& expires_in, Sender send) const {
  const std::string& registry = target.repository->registry();
  const RegistryAccess& access = *target.access;
  const std::string realm_for_messages = challenge.realm.substr(0, 200);
  absl::StatusOr<ParsedUrl> realm = ParseUrl(challenge.realm);
  if (!realm.ok()) return InvalidChallenge(target, absl::StrCat("realm: ", realm.status().message()));
  // A registry reached over verified HTTPS must not talk us into sending its
  // credentials in clear text to some other host.
  if (realm->scheme == "http" && access.has_credentials() && !target.plain_http_allowed) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     absl::StrCat("refusing to send the credentials for ", registry,
                                  " to the plain-HTTP token service ", realm_for_messages,
                                  " (set registry.insecure if that is intended)"),
                     {.reason = ErrorReason::kCredentials});
  }

  http::HttpRequest request{.tls = target.tls,
                            .connect_timeout = options_.connect_timeout,
                            .timeout = options_.timeout,
                            .max_body_bytes = options_.max_token_response_bytes};
  request.headers.emplace_back("Accept", "application/json");
  const bool identity_token = access.has_credentials() && !access.credentials->identity_token.empty();
  if (identity_token) {
    // OAuth2 refresh-token grant, as `docker login` with an identity provider expects.
    request.method = "POST";
    request.url = challenge.realm;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = absl::StrCat("grant_type=refresh_token&service=", QueryEscape(challenge.service),
                                "&client_id=", QueryEscape(options_.client_id),
                                "&scope=", QueryEscape(absl::StrJoin(scopes, " ")),
                                "&refresh_token=", QueryEscape(access.credentials->identity_token));
  } else {
    std::string query = absl::StrCat("service=", QueryEscape(challenge.service));
    for (const std::string& scope : scopes) absl::StrAppend(&query, "&scope=", QueryEscape(scope));
    request.url = absl::StrCat(realm->ToString(), realm->has_query ? "&" : "?", query);
    if (access.has_credentials() && access.credentials->has_password()) {
      request.headers.emplace_back("Authorization", BasicHeader(*access.credentials));
    }
  }

  absl::StatusOr<http::HttpResponse> response = send(request);
  if (!response.ok()) {
    return common::WithContext(response.status(),
                               absl::StrCat("token service ", realm_for_messages, " of ", registry));
  }
  const std::string summary = RegistryErrorSummary(response->body);
  const std::string phrase =
      summary.empty() ? absl::StrCat("HTTP ", response->status) : absl::StrCat("HTTP ", response->status, ", ", summary);
  if (response->status == 401 || response->status == 403) {
    return MakeError(absl::StatusCode::kUnauthenticated,
                     absl::StrCat("token service ", realm_for_messages, " refused the credentials (", phrase,
                                  "): ", CheckCredentialsAdvice(registry)),
                     {.reason = ErrorReason::kUnauthorized, .http_status = response->status});
  }
  if (response->status != 200) {
    const bool server_side = response->status >= 500 || response->status == 429;
    return MakeError(server_side ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition,
                     absl::StrCat("token service ", realm_for_messages, " of ", registry, " failed (", phrase, ")"),
                     {.reason = server_side ? ErrorReason::kUnavailable : ErrorReason::kInvalidResponse,
                      .http_status = response->status});
  }
  auto malformed = [&](absl::string_view what) {
    return MakeError(absl::StatusCode::kDataLoss,
                     absl::StrCat("token service ", realm_for_messages, " of ", registry, " answered ", what),
                     {.reason = ErrorReason::kInvalidResponse, .http_status = response->status});
  };
  if (response->body_over_limit) return malformed("more than the token size limit");
  const Json body = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return malformed("something that is not a JSON object");
  std::string token;
  for (const char* field : {"token", "access_token"}) {
    auto it = body.find(field);
    if (it != body.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      token = it->get_ref<const std::string&>();
      break;
    }
  }
  if (token.empty()) return malformed("no token (neither \"token\" nor \"access_token\")");
  expires_in = absl::ZeroDuration();
  if (auto it = body.find("expires_in"); it != body.end() && it->is_number()) {
    expires_in = absl::Seconds(std::clamp<double>(it->get<double>(), 0, 365 * 24 * 3600.0));
  }
  return token;
}

}  // namespace werf::oci
