#include "libs/oci/errors.h"

#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace werf::oci {
namespace {

// Payload type URLs; the values are short decimal or symbolic strings.
constexpr absl::string_view kReasonUrl = "type.werf.io/werf.oci.ErrorReason";
constexpr absl::string_view kHttpStatusUrl = "type.werf.io/werf.oci.HttpStatus";
constexpr absl::string_view kRetryAfterUrl = "type.werf.io/werf.oci.RetryAfterUnixNanos";

constexpr ErrorReason kAllReasons[] = {
    ErrorReason::kUnknown,     ErrorReason::kUnauthorized,    ErrorReason::kNotFound,
    ErrorReason::kTls,         ErrorReason::kRateLimited,     ErrorReason::kUnavailable,
    ErrorReason::kInvalidResponse, ErrorReason::kCredentials,
};

ErrorReason ReasonFromCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return ErrorReason::kUnauthorized;
    case absl::StatusCode::kNotFound:
      return ErrorReason::kNotFound;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return ErrorReason::kUnavailable;
    case absl::StatusCode::kDataLoss:
      return ErrorReason::kInvalidResponse;
    default:
      return ErrorReason::kUnknown;
  }
}

}  // namespace

absl::string_view ErrorReasonName(ErrorReason reason) {
  switch (reason) {
    case ErrorReason::kUnknown:
      return "UNKNOWN";
    case ErrorReason::kUnauthorized:
      return "UNAUTHORIZED";
    case ErrorReason::kNotFound:
      return "NOT_FOUND";
    case ErrorReason::kTls:
      return "TLS";
    case ErrorReason::kRateLimited:
      return "RATE_LIMITED";
    case ErrorReason::kUnavailable:
      return "UNAVAILABLE";
    case ErrorReason::kInvalidResponse:
      return "INVALID_RESPONSE";
    case ErrorReason::kCredentials:
      return "CREDENTIALS";
  }
  return "UNKNOWN";
}

absl::Status MakeError(absl::StatusCode code, absl::string_view message, const ErrorDetails& details) {
  absl::Status status(code, message);
  if (status.ok()) return status;
  status.SetPayload(kReasonUrl, absl::Cord(ErrorReasonName(details.reason)));
  if (details.http_status != 0) {
    status.SetPayload(kHttpStatusUrl, absl::Cord(absl::StrCat(details.http_status)));
  }
  if (details.retry_after.has_value()) {
    status.SetPayload(kRetryAfterUrl, absl::Cord(absl::StrCat(absl::ToUnixNanos(*details.retry_after))));
  }
  return status;
}

ErrorDetails GetErrorDetails(const absl::Status& status) {
  ErrorDetails details;
  if (status.ok()) return details;
  details.reason = ReasonFromCode(status.code());
  if (auto reason = status.GetPayload(kReasonUrl)) {
    const std::string name(*reason);
    for (ErrorReason candidate : kAllReasons) {
      if (ErrorReasonName(candidate) == name) details.reason = candidate;
    }
  }
  if (auto http_status = status.GetPayload(kHttpStatusUrl)) {
    int value = 0;
    if (absl::SimpleAtoi(std::string(*http_status), &value)) details.http_status = value;
  }
  if (auto retry_after = status.GetPayload(kRetryAfterUrl)) {
    int64_t nanos = 0;
    if (absl::SimpleAtoi(std::string(*retry_after), &nanos)) details.retry_after = absl::FromUnixNanos(nanos);
  }
  return details;
}

ErrorReason ClassifyError(const absl::Status& status) { return GetErrorDetails(status).reason; }

}  // namespace werf::oci
