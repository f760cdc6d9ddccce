// How the registry client reports failures: an absl::Status whose message names
// the registry and repository and says what to do, plus machine-readable details
// in status payloads, so callers classify without parsing messages. Context is
// added on the way up with common::WithContext (libs/common/status_context.h),
// which keeps the payloads; a status rebuilt from code and message loses them.
//
//   absl::StatusOr<TagListResult> tags = client.ListTags(repository, access);
//   if (!tags.ok()) {
//     ErrorDetails details = GetErrorDetails(tags.status());
//     if (details.reason == ErrorReason::kRateLimited) Wait(*details.retry_after);
//   }
#ifndef WERF_OPERATOR_LIBS_OCI_ERRORS_H_
#define WERF_OPERATOR_LIBS_OCI_ERRORS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace werf::oci {

// Mirrors werf.operator.v1.PollFailureReason, so the poller maps one to the other.
enum class ErrorReason {
  kUnknown,
  kUnauthorized,     // 401/403, or the token service refused the credentials
  kNotFound,         // 404: repository or tag does not exist
  kTls,              // certificate verification or handshake failed
  kRateLimited,      // 429, or a Retry-After wait still in force
  kUnavailable,      // connection failure, timeout, 5xx
  kInvalidResponse,  // malformed, truncated or oversized answer
  kCredentials,      // the credentials or CA bundle given to the client are malformed
};

// "UNAUTHORIZED", "NOT_FOUND", ... ("UNKNOWN" for kUnknown).
absl::string_view ErrorReasonName(ErrorReason reason);

struct ErrorDetails {
  ErrorReason reason = ErrorReason::kUnknown;
  // HTTP status of the response that caused the error; 0 when there was none.
  int http_status = 0;
  // When the registry may be asked again (Retry-After), if it said.
  std::optional<absl::Time> retry_after{};
};

// A status with `message` and `details` attached as payloads.
absl::Status MakeError(absl::StatusCode code, absl::string_view message, const ErrorDetails& details);

// The details of a status made by MakeError. For any other non-OK status the
// reason is derived from its code (kUnauthenticated -> kUnauthorized, ...).
ErrorDetails GetErrorDetails(const absl::Status& status);

// Shorthand for GetErrorDetails(status).reason.
ErrorReason ClassifyError(const absl::Status& status);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_ERRORS_H_
