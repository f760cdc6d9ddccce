#include "libs/http/transport_error.h"

#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace werf::http {
namespace {

constexpr absl::string_view kPayloadUrl = "type.werf.dev/werf.http.TransportError";

absl::StatusCode CodeOf(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kCancelled:
      return absl::StatusCode::kCancelled;
    case TransportFailure::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

}  // namespace

absl::string_view TransportFailureName(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kConnect:
      return "CONNECT";
    case TransportFailure::kTimeout:
      return "TIMEOUT";
    case TransportFailure::kTls:
      return "TLS";
    case TransportFailure::kTruncated:
      return "TRUNCATED";
    case TransportFailure::kInvalidResponse:
      return "INVALID_RESPONSE";
    case TransportFailure::kBadUrl:
      return "BAD_URL";
    case TransportFailure::kHeadersTooLarge:
      return "HEADERS_TOO_LARGE";
    case TransportFailure::kCancelled:
      return "CANCELLED";
  }
  return "CONNECT";
}

absl::Status MakeTransportError(absl::string_view method, absl::string_view url, const TransportError& error) {
  absl::Status status(CodeOf(error.failure),
                      absl::StrCat(method, " ", url, ": ", error.detail,
                                   error.failure == TransportFailure::kCancelled ? " (cancelled)" : ""));
  // "failure http_status detail": the detail last, since it may hold anything.
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(error.failure), " ", error.http_status,
                                                         " ", error.detail)));
  return status;
}

std::optional<TransportError> GetTransportError(const absl::Status& status) {
  const auto payload = status.GetPayload(kPayloadUrl);  // absl::optional in this Abseil
  if (!payload.has_value()) return std::nullopt;
  const std::string text(*payload);
  const std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits(' ', 2));
  int failure = 0;
  TransportError error;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &failure) || !absl::SimpleAtoi(parts[1], &error.http_status) ||
      failure < 0 || failure > static_cast<int>(TransportFailure::kCancelled)) {
    return std::nullopt;
  }
  error.failure = static_cast<TransportFailure>(failure);
  error.detail = std::string(parts[2]);
  return error;
}

}  // namespace werf::http
