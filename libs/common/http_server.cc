#include "libs/common/http_server.h"

#include "absl/strings/str_cat.h"
#include "libs/common/metrics.h"
#include "libs/common/status_macros.h"

namespace werf::common {

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Options options) {
  ASSIGN_OR_RETURN(HostPort requested, ParseHostPort(options.address));
  std::unique_ptr<HttpServer> http(new HttpServer());
  http->readiness_ = std::move(options.readiness);
  HttpServer* self = http.get();
  // httplib's default also sets SO_REUSEPORT, which lets a second process bind a port
  // that is already serving and silently split its traffic. Only SO_REUSEADDR here.
  http->server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  http->server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http->server_.Get("/readyz", [self](const httplib::Request&, httplib::Response& res) {
    if (self->draining_.load()) {
      res.status = 503;
      res.set_content("not ready: shutting down\n", "text/plain");
      return;
    }
    const absl::Status ready = self->readiness_ ? self->readiness_() : absl::OkStatus();
    if (ready.ok()) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(absl::StrCat("not ready: ", ready.message(), "\n"), "text/plain");
    }
  });
  http->server_.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(SerializeMetrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (options.register_routes) options.register_routes(http->server_);

  int port = requested.port;
  if (port == 0) {
    port = http->server_.bind_to_any_port(requested.host);
  } else if (!http->server_.bind_to_port(requested.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for HTTP on ", options.address,
        ": the address is in use or not local; choose another --http_address"));
  }
  http->bound_ = HostPort{requested.host, port};
  http->thread_ = std::thread([self] { self->server_.listen_after_bind(); });
  return http;
}

void HttpServer::Stop() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace werf::common
