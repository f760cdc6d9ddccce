#include "libs/oci/transport_errors.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/http/transport_error.h"
#include "libs/oci/errors.h"
#include "libs/oci/url.h"

namespace werf::oci {
namespace {

std::string OriginOf(absl::string_view url) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  return parsed.ok() ? parsed->Origin() : std::string(url.substr(0, 200));
}

}  // namespace

absl::Status FromTransportError(const absl::Status& status, const http::HttpRequest& request) {
  const std::optional<http::TransportError> error = http::GetTransportError(status);
  if (!error.has_value()) return status;
  const std::string what = absl::StrCat(request.method, " ", OriginOf(request.url), ": ");
  const std::string& detail = error->detail;
  switch (error->failure) {
    case http::TransportFailure::kTls:
      return MakeError(absl::StatusCode::kFailedPrecondition, absl::StrCat(what, "TLS failed: ", detail),
                       {.reason = ErrorReason::kTls});
    case http::TransportFailure::kTimeout:
      return MakeError(absl::StatusCode::kUnavailable, absl::StrCat(what, "timed out (", detail, ")"),
                       {.reason = ErrorReason::kUnavailable});
    case http::TransportFailure::kTruncated:
      return MakeError(absl::StatusCode::kDataLoss, absl::StrCat(what, "truncated response body (", detail, ")"),
                       {.reason = ErrorReason::kInvalidResponse});
    case http::TransportFailure::kInvalidResponse:
      return MakeError(absl::StatusCode::kDataLoss, absl::StrCat(what, "invalid response (", detail, ")"),
                       {.reason = ErrorReason::kInvalidResponse});
    case http::TransportFailure::kHeadersTooLarge:
      return MakeError(absl::StatusCode::kDataLoss, absl::StrCat(what, detail),
                       {.reason = ErrorReason::kInvalidResponse, .http_status = error->http_status});
    case http::TransportFailure::kBadUrl:
      return MakeError(absl::StatusCode::kInvalidArgument, absl::StrCat(what, detail), {});
    case http::TransportFailure::kConnect:
    case http::TransportFailure::kCancelled:
      break;
  }
  return MakeError(absl::StatusCode::kUnavailable, absl::StrCat(what, detail), {.reason = ErrorReason::kUnavailable});
}

}  // namespace werf::oci
