// Why an exchange produced no response, kept machine-readable on the status so
// each client can classify it its own way: the Kubernetes client uses the
// status as is, the registry client turns it into its ErrorReason and advice
// (libs/oci/transport_errors.h).
#ifndef WERF_OPERATOR_LIBS_HTTP_TRANSPORT_ERROR_H_
#define WERF_OPERATOR_LIBS_HTTP_TRANSPORT_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace werf::http {

enum class TransportFailure {
  kConnect,           // DNS, connect, reset, anything not named below
  kTimeout,           // connect or whole-request timeout
  kTls,               // handshake or certificate verification
  kTruncated,         // the body ended before its announced length
  kInvalidResponse,   // unparseable answer, bad encoding, redirect loop, HTTP/2 framing
  kBadUrl,            // the request's URL is malformed
  kHeadersTooLarge,   // the response headers exceeded the client's cap
  kCancelled,         // HttpRequest::cancel or on_body_chunk stopped it
};

absl::string_view TransportFailureName(TransportFailure failure);

struct TransportError {
  TransportFailure failure = TransportFailure::kConnect;
  // libcurl's own words ("Connection refused", "SSL certificate problem: ...").
  std::string detail{};
  // The status of a response that was abandoned (kHeadersTooLarge); 0 otherwise.
  int http_status = 0;
};

// "METHOD URL: detail" (" (cancelled)" appended for kCancelled) with the error
// as a payload. Codes: kCancelled for kCancelled, kDeadlineExceeded for
// kTimeout, kUnavailable for everything else.
absl::Status MakeTransportError(absl::string_view method, absl::string_view url, const TransportError& error);

// The error a status made by MakeTransportError carries; nullopt for any other status.
std::optional<TransportError> GetTransportError(const absl::Status& status);

}  // namespace werf::http

#endif  // WERF_OPERATOR_LIBS_HTTP_TRANSPORT_ERROR_H_
