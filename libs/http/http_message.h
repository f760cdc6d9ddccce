// One HTTP exchange as every client in the project sees it: the registry
// client's short bounded requests and the Kubernetes client's calls and
// streaming watches use the same request and response.
#ifndef WERF_OPERATOR_LIBS_HTTP_HTTP_MESSAGE_H_
#define WERF_OPERATOR_LIBS_HTTP_HTTP_MESSAGE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/http/http_headers.h"

namespace werf::http {

// Per request, because the registry client talks to many registries with
// different trust through one client; PEM in memory because it comes from
// Kubernetes Secrets and kubeconfigs, never from files.
struct TlsOptions {
  // Verify the server certificate and host name. Off only when configuration asks
  // for it (a bundle's registry.insecure, a kubeconfig's insecure-skip-tls-verify).
  bool verify = true;
  // PEM CA certificates; empty for the system roots.
  std::string ca_pem{};
  // PEM client certificate and key (mutual TLS); empty for none.
  std::string client_cert_pem{};
  std::string client_key_pem{};
};

struct HttpRequest {
  // Any method; GET, HEAD and POST are sent the way curl sends them by default
  // (so a POST redirected with 303 becomes a GET), others as a custom request.
  std::string method = "GET";
  std::string url{};
  // Sent as is. May carry credentials: never log them.
  std::vector<std::pair<std::string, std::string>> headers{};
  // Sent when non-empty, and (possibly empty) for POST, PUT and PATCH.
  std::string body{};
  TlsOptions tls{};
  absl::Duration connect_timeout = absl::Seconds(10);
  // The whole exchange, redirects included; zero for none (a watch is ended by the server).
  absl::Duration timeout = absl::Seconds(30);
  // The collected body is read up to this many (decoded) bytes; see
  // HttpResponse::body_over_limit. nullopt for no cap. Streamed bytes are not capped.
  std::optional<size_t> max_body_bytes = size_t{16} << 20;
  // When set, a 2xx body is handed over as it arrives instead of being collected
  // (any other answer's body is collected, for the caller's error). Returning
  // false aborts the transfer: the result is then a kCancelled transport error.
  std::function<bool(absl::string_view)> on_body_chunk{};
  // Checked while the transfer runs; true aborts it (kCancelled). Must outlive the call.
  const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers{};
  // Empty when streamed to HttpRequest::on_body_chunk.
  std::string body{};
  // The body was longer than max_body_bytes; `body` holds what fit and the transfer was abandoned.
  bool body_over_limit = false;
  // The URL that answered, after redirects; relative links resolve against it.
  std::string effective_url{};
  // Header plus body bytes received, for accounting.
  int64_t bytes_received = 0;
};

}  // namespace werf::http

#endif  // WERF_OPERATOR_LIBS_HTTP_HTTP_MESSAGE_H_
