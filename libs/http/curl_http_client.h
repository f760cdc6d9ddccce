// HttpClient over libcurl easy handles.
//
// Handles are pooled and reused, so connections (and TLS sessions) to an API
// server or a registry stay open across requests instead of being
// re-established each time; each request holds a handle for its duration, so
// long watches and short calls run side by side. Only http and https are
// spoken, also on redirects, and curl never forwards an Authorization header to
// a host other than the one it was meant for. libcurl stays an implementation
// detail: nothing here includes its header.
#ifndef WERF_OPERATOR_LIBS_HTTP_CURL_HTTP_CLIENT_H_
#define WERF_OPERATOR_LIBS_HTTP_CURL_HTTP_CLIENT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/http/http_client.h"

namespace werf::http {

// What differs between the clients that share this one; the defaults are the
// registry client's, the Kubernetes client sets its own (rest_client.cc).
struct CurlHttpClientOptions {
  // CURLOPT_USERAGENT; a request's own User-Agent header wins. Empty sends none.
  std::string user_agent = "werf-operator";
  // Idle handles kept for reuse; more concurrent requests than this still work,
  // their handles are just closed afterwards.
  size_t max_idle_handles = 16;
  // Cap on all response header lines together (kHeadersTooLarge beyond); 0 for none.
  size_t max_header_bytes = 256 << 10;
  // Redirects followed (beyond: kInvalidResponse); 0 answers with the 3xx itself.
  int max_redirects = 5;
  // TCP keep-alive probes, for long-lived connections (watches) through NATs.
  bool tcp_keepalive = false;
  // Suppresses libcurl's "Expect: 100-continue" on large bodies, saving a round
  // trip to servers that read the body anyway (the API server).
  bool no_expect_continue = false;
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;

  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  struct HandleDeleter {
    void operator()(void* handle) const;
  };
  using Handle = std::unique_ptr<void, HandleDeleter>;

  absl::StatusOr<Handle> Acquire() ABSL_LOCKS_EXCLUDED(mu_);
  void Release(Handle handle) ABSL_LOCKS_EXCLUDED(mu_);

  const CurlHttpClientOptions options_;
  absl::Mutex mu_;
  std::vector<Handle> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::http

#endif  // WERF_OPERATOR_LIBS_HTTP_CURL_HTTP_CLIENT_H_
