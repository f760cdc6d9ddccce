#include "services/gateway/http_api.h"

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/logging.h"
#include "services/gateway/dashboard.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/status_mapping.h"

namespace werf::gateway {
namespace {

constexpr absl::string_view kJson = "application/json";

// The value of the first of `names` present, or nullopt.
std::optional<std::string> Param(const httplib::Request& request,
                                 std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (request.has_param(name)) return request.get_param_value(name);
  }
  return std::nullopt;
}

void ReplyError(const absl::Status& status, httplib::Response& response) {
  response.status = HttpStatusFor(status.code());
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    response.set_header("WWW-Authenticate", "Bearer realm=\"werf-gateway\"");
  }
  response.set_content(StatusToJson(status), std::string(kJson));
}

template <typename Message>
void Reply(const absl::StatusOr<Message>& answer, httplib::Response& response) {
  if (!answer.ok()) {
    ReplyError(answer.status(), response);
    return;
  }
  response.set_content(ToJson(*answer), std::string(kJson));
}

// An open SSE stream: the watch, kept alive by the content provider that owns it.
struct SseStream {
  explicit SseStream(BundleQueries::Watch watch) : watch(std::move(watch)) {}
  BundleQueries::Watch watch;
  bool started = false;
};

}  // namespace

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  std::string json;
  if (const auto printed = google::protobuf::util::MessageToJsonString(message, &json, options);
      !printed.ok()) {
    // Only invalid UTF-8 fails here, and the API server serves only UTF-8.
    common::LogError("cannot render a message as JSON",
                     {{"message_type", message.GetTypeName()}, {"error", printed.ToString()}});
    return "{}";
  }
  return json;
}

absl::StatusOr<pb::BundlePhase> ParsePhaseParameter(absl::string_view text) {
  if (text.empty()) return pb::BUNDLE_PHASE_UNSPECIFIED;
  std::string name = absl::AsciiStrToUpper(text);
  if (!absl::StartsWith(name, "BUNDLE_PHASE_")) name = absl::StrCat("BUNDLE_PHASE_", name);
  pb::BundlePhase phase = pb::BUNDLE_PHASE_UNSPECIFIED;
  if (!pb::BundlePhase_Parse(name, &phase)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "phase \"", text, "\" is not one of Syncing, Synced, Failed (or BUNDLE_PHASE_...)"));
  }
  return phase;
}

absl::StatusOr<pb::ListBundlesRequest> ListRequestFromHttp(const httplib::Request& request,
                                                           absl::string_view path_namespace) {
  pb::ListBundlesRequest list;
  list.set_namespace_(path_namespace.empty() ? Param(request, {"namespace"}).value_or("")
                                             : std::string(path_namespace));
  absl::StatusOr<pb::BundlePhase> phase = ParsePhaseParameter(Param(request, {"phase"}).value_or(""));
  if (!phase.ok()) return phase.status();
  list.set_phase(*phase);
  list.set_label_selector(Param(request, {"labelSelector", "label_selector"}).value_or(""));
  if (std::optional<std::string> size = Param(request, {"pageSize", "page_size"})) {
    int32_t page_size = 0;
    if (!absl::SimpleAtoi(*size, &page_size)) {
      return absl::InvalidArgumentError(absl::StrCat("pageSize \"", *size, "\" is not an integer"));
    }
    list.set_page_size(page_size);
  }
  list.set_page_token(Param(request, {"pageToken", "page_token"}).value_or(""));
  return list;
}

absl::StatusOr<pb::WatchBundlesRequest> WatchRequestFromHttp(const httplib::Request& request) {
  pb::WatchBundlesRequest watch;
  watch.set_namespace_(Param(request, {"namespace"}).value_or(""));
  watch.set_label_selector(Param(request, {"labelSelector", "label_selector"}).value_or(""));
  // EventSource reconnects with Last-Event-ID, the id of the last event it saw.
  std::string resume = Param(request, {"resumeRevision", "resume_revision"}).value_or("");
  if (resume.empty()) resume = request.get_header_value("Last-Event-ID");
  watch.set_resume_revision(resume);
  return watch;
}

std::string SseEvent(const pb::WatchBundlesResponse& event) {
  std::string frame;
  if (!event.revision().empty()) absl::StrAppend(&frame, "id: ", event.revision(), "\n");
  absl::StrAppend(&frame, "data: ", ToJson(event), "\n\n");
  return frame;
}

HttpApi::HttpApi(BundleQueries& queries, Authorizer& authorizer, Options options)
    : queries_(queries), authorizer_(authorizer), options_(std::move(options)) {}

void HttpApi::ApplyCors(const httplib::Request& request, httplib::Response& response) const {
  const std::string origin = request.get_header_value("Origin");
  if (origin.empty()) return;
  const auto& allowed = options_.cors_allowed_origins;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
    response.set_header("Access-Control-Allow-Origin", "*");
  } else if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) {
    response.set_header("Access-Control-Allow-Origin", origin);
    response.set_header("Vary", "Origin");
  }
}

HttpApi::Handler HttpApi::Route(std::string route, Handler handler) const {
  return [this, route = std::move(route), handler = std::move(handler)](
             const httplib::Request& request, httplib::Response& response) {
    const auto start = std::chrono::steady_clock::now();
    response.set_header("X-Content-Type-Options", "nosniff");
    ApplyCors(request, response);
    handler(request, response);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Metrics()
        .http_requests.Add({{"route", route}, {"code", absl::StrCat(response.status == -1 ? 200 : response.status)}})
        .Increment();
    Metrics().http_latency.Add({{"route", route}}, HttpLatencyBuckets()).Observe(seconds);
  };
}

absl::StatusOr<Caller> HttpApi::Authenticate(const httplib::Request& request) {
  return authorizer_.Authenticate(request.get_header_value("Authorization"));
}

void HttpApi::Register(httplib::Server& server) {
  server.Options(R"(/v1/.*)", [this](const httplib::Request& request, httplib::Response& response) {
    ApplyCors(request, response);
    response.set_header("Access-Control-Allow-Methods", "GET, OPTIONS");
    response.set_header("Access-Control-Allow-Headers", "Authorization, Last-Event-ID");
    response.set_header("Access-Control-Max-Age", "600");
    response.status = 204;
  });

  server.Get("/v1/bundles", Route("/v1/bundles", [this](const auto& request, auto& response) {
    absl::StatusOr<Caller> caller = Authenticate(request);
    if (!caller.ok()) return ReplyError(caller.status(), response);
    absl::StatusOr<pb::ListBundlesRequest> list = ListRequestFromHttp(request, "");
    if (!list.ok()) return ReplyError(list.status(), response);
    Reply(queries_.ListBundles(*caller, *list), response);
  }));

  server.Get(R"(/v1/namespaces/([^/]+)/bundles)",
             Route("/v1/namespaces/{namespace}/bundles", [this](const auto& request, auto& response) {
               absl::StatusOr<Caller> caller = Authenticate(request);
               if (!caller.ok()) return ReplyError(caller.status(), response);
               absl::StatusOr<pb::ListBundlesRequest> list =
                   ListRequestFromHttp(request, request.matches[1].str());
               if (!list.ok()) return ReplyError(list.status(), response);
               Reply(queries_.ListBundles(*caller, *list), response);
             }));

  server.Get(R"(/v1/namespaces/([^/]+)/bundles/([^/]+))",
             Route("/v1/namespaces/{namespace}/bundles/{name}",
                   [this](const auto& request, auto& response) {
                     absl::StatusOr<Caller> caller = Authenticate(request);
                     if (!caller.ok()) return ReplyError(caller.status(), response);
                     pb::GetBundleRequest get;
                     get.set_namespace_(request.matches[1].str());
                     get.set_name(request.matches[2].str());
                     Reply(queries_.GetBundle(*caller, get), response);
                   }));

  server.Get(R"(/v1/namespaces/([^/]+)/bundles/([^/]+)/history)",
             Route("/v1/namespaces/{namespace}/bundles/{name}/history",
                   [this](const auto& request, auto& response) {
                     absl::StatusOr<Caller> caller = Authenticate(request);
                     if (!caller.ok()) return ReplyError(caller.status(), response);
                     pb::GetBundleHistoryRequest get;
                     get.set_namespace_(request.matches[1].str());
                     get.set_name(request.matches[2].str());
                     Reply(queries_.GetBundleHistory(*caller, get), response);
                   }));

  server.Get("/v1/summary", Route("/v1/summary", [this](const auto& request, auto& response) {
    absl::StatusOr<Caller> caller = Authenticate(request);
    if (!caller.ok()) return ReplyError(caller.status(), response);
    pb::GetSummaryRequest summary;
    summary.set_namespace_(Param(request, {"namespace"}).value_or(""));
    Reply(queries_.GetSummary(*caller, summary), response);
  }));

  server.Get("/v1/bundles:watch", Route("/v1/bundles:watch", [this](const auto& request, auto& response) {
    Watch(request, response);
  }));

  for (const StaticAsset& asset : DashboardAssets()) {
    const std::string path(asset.path);
    server.Get(path, Route(path, [asset](const httplib::Request& request, httplib::Response& response) {
      response.set_header("Cache-Control", "no-cache");
      response.set_header("ETag", std::string(asset.etag));
      response.set_header("Content-Security-Policy",
                          "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      if (request.get_header_value("If-None-Match") == asset.etag) {
        response.status = 304;
        return;
      }
      response.set_content(std::string(asset.body), std::string(asset.content_type));
    }));
  }
}

void HttpApi::Watch(const httplib::Request& request, httplib::Response& response) {
  absl::StatusOr<Caller> caller = Authenticate(request);
  if (!caller.ok()) return ReplyError(caller.status(), response);
  absl::StatusOr<pb::WatchBundlesRequest> watch_request = WatchRequestFromHttp(request);
  if (!watch_request.ok()) return ReplyError(watch_request.status(), response);
  absl::StatusOr<BundleQueries::Watch> watch = queries_.StartWatch(*caller, *watch_request, "sse");
  if (!watch.ok()) return ReplyError(watch.status(), response);

  auto stream = std::make_shared<SseStream>(*std::move(watch));
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
  // Exactly "text/event-stream": httplib never compresses (and so buffers) that type.
  response.set_chunked_content_provider(
      "text/event-stream",
      [stream, poll = options_.poll_interval](size_t, httplib::DataSink& sink) {
        if (!stream->started) {
          stream->started = true;
          constexpr absl::string_view kRetry = "retry: 2000\n\n";
          if (!sink.write(kRetry.data(), kRetry.size())) return false;
        }
        absl::StatusOr<std::optional<pb::WatchBundlesResponse>> event =
            stream->watch.session->Next(poll);
        if (!event.ok()) {
          const std::string error = absl::StrCat("event: error\ndata: ", StatusToJson(event.status()), "\n\n");
          sink.write(error.data(), error.size());
          sink.done();
          return true;
        }
        if (!event->has_value()) return sink.is_writable();
        const std::string frame = SseEvent(**event);
        return sink.write(frame.data(), frame.size());
      });
}

}  // namespace werf::gateway
