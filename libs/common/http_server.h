// The HTTP side of every service: /healthz, /readyz and /metrics, plus whatever
// routes the service adds (the gateway's JSON API). Binds in Start() so the chosen
// port is known before anything is logged.
#ifndef WERF_OPERATOR_LIBS_COMMON_HTTP_SERVER_H_
#define WERF_OPERATOR_LIBS_COMMON_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "httplib.h"
#include "libs/common/net_address.h"

namespace werf::common {

class HttpServer {
 public:
  struct Options {
    std::string address{};
    // Extra routes; called once before serving.
    std::function<void(httplib::Server&)> register_routes{};
    // /readyz answers 200 when this returns OK (and the server is not draining),
    // otherwise 503 with the status message. Null means always ready.
    std::function<absl::Status()> readiness{};
  };

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(Options options);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The address actually bound (the chosen port when 0 was asked for).
  const HostPort& address() const { return bound_; }

  // /readyz starts answering 503; /healthz keeps answering 200 while draining.
  void SetDraining() { draining_.store(true); }
  void Stop();

 private:
  HttpServer() = default;

  httplib::Server server_;
  HostPort bound_;
  std::function<absl::Status()> readiness_;
  std::atomic<bool> draining_{false};
  std::thread thread_;
};

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_HTTP_SERVER_H_
