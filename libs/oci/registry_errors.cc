#include "libs/oci/registry_errors.h"

#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/oci/errors.h"
#include "libs/oci/www_authenticate.h"
#include "nlohmann/json.hpp"

namespace werf::oci {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxSummaryLength = 300;

// Registry text goes into status messages and from there into logs and the
// bundle's status: keep it printable and short.
std::string Sanitize(absl::string_view text) {
  std::string clean;
  for (char c : text.substr(0, kMaxSummaryLength)) clean.push_back(absl::ascii_isprint(c) ? c : ' ');
  return clean;
}

std::string StatusPhrase(const http::HttpResponse& response) {
  const std::string summary = RegistryErrorSummary(response.body);
  return summary.empty() ? absl::StrCat("HTTP ", response.status) : absl::StrCat("HTTP ", response.status, ", ", summary);
}

bool HasErrorCode(absl::string_view body, absl::string_view code) {
  const Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return false;
  auto errors = parsed.find("errors");
  if (errors == parsed.end() || !errors->is_array()) return false;
  for (const Json& error : *errors) {
    if (!error.is_object()) continue;
    auto found = error.find("code");
    if (found != error.end() && found->is_string() && found->get_ref<const std::string&>() == code) return true;
  }
  return false;
}

// The registry's challenge says the token lacked the scope (RFC 6750 error="insufficient_scope").
bool IsInsufficientScope(const http::HttpResponse& response) {
  absl::StatusOr<std::vector<AuthChallenge>> challenges =
      ParseWwwAuthenticate(response.headers.GetJoined("www-authenticate"));
  if (!challenges.ok()) return false;
  const AuthChallenge* bearer = FindChallenge(*challenges, "bearer");
  return bearer != nullptr && bearer->Param("error") == "insufficient_scope";
}

}  // namespace

std::string CheckCredentialsAdvice(absl::string_view registry) {
  return absl::StrCat("check the bundle's registry.secretRef credentials for ", registry);
}

std::string RegistryErrorSummary(absl::string_view body) {
  const Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return "";
  auto errors = parsed.find("errors");
  if (errors == parsed.end() || !errors->is_array()) return "";
  std::vector<std::string> parts;
  for (const Json& error : *errors) {
    if (!error.is_object() || parts.size() == 3) continue;
    std::string part;
    if (auto code = error.find("code"); code != error.end() && code->is_string()) {
      part = code->get_ref<const std::string&>();
    }
    if (auto message = error.find("message"); message != error.end() && message->is_string()) {
      absl::StrAppend(&part, part.empty() ? "" : ": ", message->get_ref<const std::string&>());
    }
    if (!part.empty()) parts.push_back(Sanitize(part));
  }
  return Sanitize(absl::StrJoin(parts, "; "));
}

absl::Status ErrorFromResponse(const ErrorContext& context, const http::HttpResponse& response) {
  const std::string& registry = context.repository->registry();
  const std::string& path = context.repository->path();
  const ErrorDetails details{.http_status = response.status};
  auto error = [&](absl::StatusCode code, ErrorReason reason, absl::string_view message) {
    ErrorDetails with_reason = details;
    with_reason.reason = reason;
    return MakeError(code, message, with_reason);
  };
  const std::string phrase = StatusPhrase(response);
  switch (response.status) {
    case 401:
      if (IsInsufficientScope(response)) {
        // Docker Hub and distribution's token auth answer so for repositories that do
        // not exist as well as for ones the credentials may not pull.
        return error(absl::StatusCode::kUnauthenticated, ErrorReason::kUnauthorized,
                     absl::StrCat("no pull access to ", path, " (", phrase,
                                  ", insufficient_scope): the repository does not exist, or ",
                                  context.sent_credentials ? CheckCredentialsAdvice(registry)
                                                           : "it is private: set the bundle's registry.secretRef"));
      }
      return error(absl::StatusCode::kUnauthenticated, ErrorReason::kUnauthorized,
                   context.sent_credentials
                       ? absl::StrCat("unauthorized (", phrase, "): ", CheckCredentialsAdvice(registry))
                       : absl::StrCat("unauthorized (", phrase, "): ", registry,
                                      " requires credentials for ", path,
                                      " (or the repository does not exist); set the bundle's registry.secretRef"));
    case 403:
      return error(absl::StatusCode::kPermissionDenied, ErrorReason::kUnauthorized,
                   absl::StrCat("access denied (", phrase, "): ", CheckCredentialsAdvice(registry),
                                "; they must be allowed to pull ", path));
    case 404:
      if (!context.tag.empty() && (response.body.empty() || HasErrorCode(response.body, "MANIFEST_UNKNOWN"))) {
        return error(absl::StatusCode::kNotFound, ErrorReason::kNotFound,
                     absl::StrCat("tag ", context.tag, " not found in repository ", path, " on ", registry,
                                  response.body.empty() ? " (or the repository does not exist)" : "", " (", phrase,
                                  ")"));
      }
      return error(absl::StatusCode::kNotFound, ErrorReason::kNotFound,
                   absl::StrCat("repository ", path, " not found on ", registry, " (", phrase, ")"));
    case 408:
      return error(absl::StatusCode::kUnavailable, ErrorReason::kUnavailable,
                   absl::StrCat(registry, " timed out the request (", phrase, ")"));
    default:
      break;
  }
  if (response.status >= 500) {
    return error(absl::StatusCode::kUnavailable, ErrorReason::kUnavailable,
                 absl::StrCat(registry, " is unavailable (", phrase, ")"));
  }
  return error(absl::StatusCode::kFailedPrecondition, ErrorReason::kInvalidResponse,
               absl::StrCat("unexpected answer from ", registry, " (", phrase, ")"));
}

absl::Status ErrorFromTransport(const ErrorContext& context, const absl::Status& error, bool custom_ca) {
  if (ClassifyError(error) != ErrorReason::kTls) return error;
  const std::string& registry = context.repository->registry();
  const std::string advice =
      custom_ca ? absl::StrCat("TLS verification of ", registry,
                               " failed with the CA from registry.caSecretRef: check that it is the CA that signs ",
                               registry, "'s certificate (or set registry.insecure)")
                : absl::StrCat("TLS verification of ", registry,
                               " failed: set registry.caSecretRef to the CA that signs it (or registry.insecure)");
  return MakeError(error.code(), absl::StrCat(advice, " (", error.message(), ")"), GetErrorDetails(error));
}

}  // namespace werf::oci
