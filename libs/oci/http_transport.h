// The HTTP exchange the registry client needs, behind an interface so the
// client's logic is independent of libcurl (curl_transport.h is the real one).
#ifndef WERF_OPERATOR_LIBS_OCI_HTTP_TRANSPORT_H_
#define WERF_OPERATOR_LIBS_OCI_HTTP_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace werf::oci {

enum class HttpMethod { kGet, kHead, kPost };

absl::string_view HttpMethodName(HttpMethod method);

// Response headers: names compared case-insensitively, repeats kept in order.
class HttpHeaders {
 public:
  void Add(absl::string_view name, absl::string_view value);
  void Clear() { headers_.clear(); }

  // The first value of `name`, if any.
  std::optional<std::string> Get(absl::string_view name) const;
  // Every value of `name` joined with ", " (RFC 9110 5.3); empty when absent.
  std::string GetJoined(absl::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& all() const { return headers_; }

 private:
  std::vector<std::pair<std::string, std::string>> headers_;  // lowercase names
};

struct TlsOptions {
  // Verify the server certificate and host name. Off only when a bundle asks for insecure access.
  bool verify = true;
  // PEM CA certificates trusted in addition to the system roots; empty for the system roots only.
  std::string ca_pem{};
};

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string url{};
  // Sent as is. May carry credentials: never log them.
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};  // for kPost
  TlsOptions tls{};
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(30);  // the whole exchange, redirects included
  // The body is read up to this many (decoded) bytes; see HttpResponse::body_over_limit.
  size_t max_body_bytes = 16 << 20;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers{};
  std::string body{};
  // The body was longer than max_body_bytes; `body` holds what fit and the transfer was abandoned.
  bool body_over_limit = false;
  // The URL that answered, after redirects; relative links resolve against it.
  std::string effective_url{};
  // Header plus body bytes received, for accounting.
  int64_t bytes_received = 0;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Performs one exchange, following redirects. Any HTTP status is a response;
  // errors are for exchanges that produced none, classified with errors.h
  // reasons: kTls (handshake or verification), kUnavailable (connect, reset,
  // timeout), kInvalidResponse (truncated or unparseable). Thread-safe.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_HTTP_TRANSPORT_H_
