#include "libs/http/curl_options.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>

namespace werf::http::internal {

MethodPlan PlanMethod(absl::string_view method, bool has_body) {
  const bool always_body = method == "POST" || method == "PUT" || method == "PATCH";
  MethodPlan plan{.send_body = has_body || always_body};
  if (method == "GET" && !has_body) {
    plan.mode = MethodPlan::Mode::kGet;
  } else if (method == "HEAD") {
    plan.mode = MethodPlan::Mode::kHead;
    plan.send_body = false;
  } else if (method == "POST") {
    plan.mode = MethodPlan::Mode::kPost;
  } else {
    plan.mode = MethodPlan::Mode::kCustom;
  }
  return plan;
}

std::optional<long> CurlMilliseconds(absl::Duration duration) {  // NOLINT(runtime/int)
  if (duration <= absl::ZeroDuration()) return std::nullopt;
  return static_cast<long>(std::clamp<int64_t>(absl::ToInt64Milliseconds(duration), 1, int64_t{1} << 30));  // NOLINT
}

TransportFailure FailureOfCurlCode(int code) {
  switch (static_cast<CURLcode>(code)) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return TransportFailure::kTls;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportFailure::kTimeout;
    case CURLE_PARTIAL_FILE:
      return TransportFailure::kTruncated;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportFailure::kInvalidResponse;
    case CURLE_URL_MALFORMAT:
      return TransportFailure::kBadUrl;
    case CURLE_ABORTED_BY_CALLBACK:
      return TransportFailure::kCancelled;
    default:
      return TransportFailure::kConnect;
  }
}

}  // namespace werf::http::internal
