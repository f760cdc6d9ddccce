// The HTTP exchange behind an interface, so the Kubernetes and registry
// clients' logic is independent of libcurl (curl_http_client.h is the real one,
// testing/fake_http_client.h the scripted one for unit tests).
#ifndef WERF_OPERATOR_LIBS_HTTP_HTTP_CLIENT_H_
#define WERF_OPERATOR_LIBS_HTTP_HTTP_CLIENT_H_

#include "absl/status/statusor.h"
#include "libs/http/http_message.h"

namespace werf::http {

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Performs one exchange. Any HTTP status is a response; errors are for
  // exchanges that produced none and carry a TransportFailure
  // (transport_error.h): kCancelled when cancelled, kDeadlineExceeded on a
  // timeout, kUnavailable otherwise. Thread-safe.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace werf::http

#endif  // WERF_OPERATOR_LIBS_HTTP_HTTP_CLIENT_H_
