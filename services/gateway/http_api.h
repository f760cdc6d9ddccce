// The HTTP side of the gateway, on the same server as /healthz, /readyz and /metrics:
//
//   GET /v1/bundles                                   ListBundlesResponse
//   GET /v1/namespaces/{ns}/bundles                   ListBundlesResponse (one namespace)
//   GET /v1/namespaces/{ns}/bundles/{name}            GetBundleResponse
//   GET /v1/namespaces/{ns}/bundles/{name}/history    GetBundleHistoryResponse
//   GET /v1/summary                                   GetSummaryResponse
//   GET /v1/bundles:watch                             Server-Sent Events of WatchBundlesResponse
//   GET /  /dashboard.js  /dashboard.css              the dashboard
//
// Bodies are the gRPC messages in the protobuf JSON mapping; query parameters are the
// request fields, in lowerCamelCase or snake_case (`labelSelector`, `page_size`).
// Errors are {"code", "status", "message"} with the HTTP status grpc-gateway would use.
// Each SSE event is `id: <revision>` (when it has one) and `data: <JSON>`; a browser's
// EventSource resumes with Last-Event-ID by itself.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_HTTP_API_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_HTTP_API_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "httplib.h"
#include "services/gateway/access_control.h"
#include "services/gateway/bundle_queries.h"

namespace werf::gateway {

class HttpApi {
 public:
  struct Options {
    // Origins allowed to call the API from a browser (CORS); "*" allows any. Empty:
    // no CORS headers, only same-origin pages (the dashboard) may call.
    std::vector<std::string> cors_allowed_origins{};
    // How often an idle SSE stream checks that the server is not stopping.
    absl::Duration poll_interval = absl::Seconds(1);
  };

  HttpApi(BundleQueries& queries, Authorizer& authorizer, Options options);

  void Register(httplib::Server& server);

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // Adds CORS and security headers, and counts the request under `route`.
  Handler Route(std::string route, Handler handler) const;
  void ApplyCors(const httplib::Request& request, httplib::Response& response) const;
  absl::StatusOr<Caller> Authenticate(const httplib::Request& request);
  void Watch(const httplib::Request& request, httplib::Response& response);

  BundleQueries& queries_;
  Authorizer& authorizer_;
  const Options options_;
};

// Request messages from query parameters (and path parameters); InvalidArgument
// naming the parameter that does not parse. Exposed for tests.
absl::StatusOr<pb::ListBundlesRequest> ListRequestFromHttp(const httplib::Request& request,
                                                           absl::string_view path_namespace);
absl::StatusOr<pb::WatchBundlesRequest> WatchRequestFromHttp(const httplib::Request& request);
// "Synced", "SYNCED", "synced", "BUNDLE_PHASE_SYNCED" ...; empty is UNSPECIFIED.
absl::StatusOr<pb::BundlePhase> ParsePhaseParameter(absl::string_view text);
// One SSE event: `id: <revision>\ndata: <json>\n\n`.
std::string SseEvent(const pb::WatchBundlesResponse& event);
// The protobuf JSON mapping of `message`, lowerCamelCase field names.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_HTTP_API_H_
