// The pure decisions CurlHttpClient makes about a request and a libcurl
// result, apart from the handles so that they are unit-tested without a network.
#ifndef WERF_OPERATOR_LIBS_HTTP_CURL_OPTIONS_H_
#define WERF_OPERATOR_LIBS_HTTP_CURL_OPTIONS_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/http/transport_error.h"

namespace werf::http::internal {

// How a method goes to libcurl. GET, HEAD and POST use curl's own modes, which
// is also what curl does with them across redirects; anything else (or a GET
// with a body) is a custom request.
struct MethodPlan {
  enum class Mode { kGet, kHead, kPost, kCustom };
  Mode mode = Mode::kGet;
  // CURLOPT_POSTFIELDS: a non-empty body, or POST, PUT and PATCH (which send
  // Content-Length: 0 when empty).
  bool send_body = false;
};
MethodPlan PlanMethod(absl::string_view method, bool has_body);

// A libcurl millisecond option: clamped to [1 ms, 2^30 ms]; nullopt for a
// non-positive duration, which means "no limit" (the option is not set).
std::optional<long> CurlMilliseconds(absl::Duration duration);  // NOLINT(runtime/int): curl's type

// What a failed curl_easy_perform (a CURLcode) means; the caller deals with
// aborts by its own callbacks before asking.
TransportFailure FailureOfCurlCode(int code);

}  // namespace werf::http::internal

#endif  // WERF_OPERATOR_LIBS_HTTP_CURL_OPTIONS_H_
