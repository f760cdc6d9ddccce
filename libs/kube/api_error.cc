#include "libs/kube/api_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace werf::kube {
namespace {

constexpr absl::string_view kReasonPayload = "type.werf.io/kubernetes-reason";
constexpr absl::string_view kHttpCodePayload = "type.werf.io/http-code";
constexpr absl::string_view kRetryAfterPayload = "type.werf.io/retry-after-ms";

absl::StatusCode CodeFor(long http_code, absl::string_view reason) {
  switch (http_code) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 409:
      // Both arrive as 409; only the reason tells a lost update from a duplicate.
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410: return absl::StatusCode::kFailedPrecondition;
    case 422: return absl::StatusCode::kInvalidArgument;
    case 429: return absl::StatusCode::kResourceExhausted;
    case 500: return absl::StatusCode::kInternal;
    case 504: return absl::StatusCode::kDeadlineExceeded;
    default: break;
  }
  if (http_code >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

// Reasons the API server uses when the body carries none (e.g. a proxy's answer).
absl::string_view DefaultReason(long http_code) {
  switch (http_code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

std::string Payload(const absl::Status& status, absl::string_view key) {
  const auto payload = status.GetPayload(key);
  return payload ? std::string(*payload) : std::string();
}

}  // namespace

absl::Status StatusFromApiResponse(long http_code, absl::string_view body, absl::string_view what,
                                   std::optional<absl::Duration> retry_after) {
  std::string reason;
  std::string message;
  const nlohmann::json parsed = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status") {
    reason = parsed.value("reason", "");
    message = parsed.value("message", "");
  }
  if (reason.empty()) reason = std::string(DefaultReason(http_code));
  if (message.empty()) {
    // Not a Status object: keep a bounded excerpt, it is all we know.
    message = std::string(body.substr(0, 256));
  }
  absl::Status status(CodeFor(http_code, reason),
                      absl::StrCat(what, ": ", http_code, " ", reason, ": ", message));
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  status.SetPayload(kHttpCodePayload, absl::Cord(absl::StrCat(http_code)));
  if (retry_after) {
    status.SetPayload(kRetryAfterPayload,
                      absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(*retry_after))));
  }
  return status;
}

std::string KubernetesReason(const absl::Status& status) { return Payload(status, kReasonPayload); }

int HttpCode(const absl::Status& status) {
  int code = 0;
  return absl::SimpleAtoi(Payload(status, kHttpCodePayload), &code) ? code : 0;
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  int64_t millis = 0;
  if (!absl::SimpleAtoi(Payload(status, kRetryAfterPayload), &millis)) return std::nullopt;
  return absl::Milliseconds(millis);
}

bool IsApiNotFound(const absl::Status& s) { return HttpCode(s) == 404; }
bool IsApiAlreadyExists(const absl::Status& s) { return KubernetesReason(s) == "AlreadyExists"; }
bool IsApiConflict(const absl::Status& s) { return HttpCode(s) == 409 && !IsApiAlreadyExists(s); }
bool IsApiInvalid(const absl::Status& s) { return KubernetesReason(s) == "Invalid"; }
bool IsApiGone(const absl::Status& s) {
  const std::string reason = KubernetesReason(s);
  return HttpCode(s) == 410 || reason == "Expired" || reason == "Gone";
}
bool IsApiForbidden(const absl::Status& s) { return HttpCode(s) == 403; }
bool IsApiUnauthorized(const absl::Status& s) { return HttpCode(s) == 401; }
bool IsApiTooManyRequests(const absl::Status& s) { return HttpCode(s) == 429; }

}  // namespace werf::kube
