// HTTP(S) to the API server over libcurl. Easy handles are pooled, so connections
// (and TLS sessions) are reused across requests; each request takes a handle for
// its duration, so long watches and short calls run side by side.
#ifndef WERF_OPERATOR_LIBS_KUBE_CURL_TRANSPORT_H_
#define WERF_OPERATOR_LIBS_KUBE_CURL_TRANSPORT_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace werf::kube {

struct TlsSettings {
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_verify = false;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  // Whole-request limit; zero means none (watches bound themselves server-side).
  absl::Duration timeout = absl::Seconds(30);
  // When set, a 2xx body is handed over as it arrives instead of being collected
  // (any other answer's body is collected in HttpResponse::body, for the error).
  // Returning false aborts the transfer (the result is then kCancelled).
  std::function<bool(absl::string_view)> on_body_chunk{};
  // Checked while the transfer runs; true aborts it (kCancelled).
  const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class CurlTransport {
 public:
  explicit CurlTransport(TlsSettings tls) : tls_(std::move(tls)) {}
  ~CurlTransport();
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // Transport failures (DNS, connect, TLS, timeout) are kUnavailable or
  // kDeadlineExceeded; any HTTP status is a successful transport.
  absl::StatusOr<HttpResponse> Perform(const HttpRequest& request);

 private:
  void* Acquire();
  void Release(void* handle);

  const TlsSettings tls_;
  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_CURL_TRANSPORT_H_
