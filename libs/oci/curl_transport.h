// HttpTransport over libcurl easy handles.
//
// Handles are pooled and reused, so connections (and TLS sessions) to a
// registry stay open across polls instead of being re-established each time.
// TLS is verified unless a request says otherwise; a CA bundle arrives as PEM
// in memory (CURLOPT_CAINFO_BLOB) since it comes from a Kubernetes Secret.
// Only http and https are spoken, also on redirects, and curl never forwards
// an Authorization header to a host other than the one it was meant for.
#ifndef WERF_OPERATOR_LIBS_OCI_CURL_TRANSPORT_H_
#define WERF_OPERATOR_LIBS_OCI_CURL_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/oci/http_transport.h"

namespace werf::oci {

struct CurlTransportOptions {
  std::string user_agent = "werf-operator";
  // Idle handles kept for reuse; more concurrent requests than this still work,
  // their handles are just closed afterwards.
  size_t max_idle_handles = 16;
  // Cap on all response header lines together.
  size_t max_header_bytes = 256 << 10;
  int max_redirects = 5;
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  struct HandleDeleter {
    void operator()(void* handle) const;
  };
  using Handle = std::unique_ptr<void, HandleDeleter>;

  absl::StatusOr<Handle> Acquire() ABSL_LOCKS_EXCLUDED(mu_);
  void Release(Handle handle) ABSL_LOCKS_EXCLUDED(mu_);

  const CurlTransportOptions options_;
  absl::Mutex mu_;
  std::vector<Handle> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_CURL_TRANSPORT_H_
