#include "services/gateway/http_api.h"

#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/dashboard.h"
#include "services/gateway/status_mapping.h"

namespace werf::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

httplib::Request RequestWith(std::initializer_list<std::pair<std::string, std::string>> params) {
  httplib::Request request;
  for (const auto& [name, value] : params) request.params.emplace(name, value);
  return request;
}

TEST(HttpApiParsingTest, PhasesAcceptTheCrdAndTheEnumSpelling) {
  EXPECT_EQ(*ParsePhaseParameter(""), pb::BUNDLE_PHASE_UNSPECIFIED);
  EXPECT_EQ(*ParsePhaseParameter("Synced"), pb::BUNDLE_PHASE_SYNCED);
  EXPECT_EQ(*ParsePhaseParameter("failed"), pb::BUNDLE_PHASE_FAILED);
  EXPECT_EQ(*ParsePhaseParameter("BUNDLE_PHASE_SYNCING"), pb::BUNDLE_PHASE_SYNCING);
  absl::StatusOr<pb::BundlePhase> bad = ParsePhaseParameter("Exploded");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"Exploded\""));
}

TEST(HttpApiParsingTest, ListParametersInEitherSpelling) {
  absl::StatusOr<pb::ListBundlesRequest> camel = ListRequestFromHttp(
      RequestWith({{"namespace", "shop"}, {"phase", "Failed"}, {"labelSelector", "team=a"},
                   {"pageSize", "5"}, {"pageToken", "tok"}}),
      "");
  ASSERT_TRUE(camel.ok()) << camel.status();
  EXPECT_EQ(camel->namespace_(), "shop");
  EXPECT_EQ(camel->phase(), pb::BUNDLE_PHASE_FAILED);
  EXPECT_EQ(camel->label_selector(), "team=a");
  EXPECT_EQ(camel->page_size(), 5);
  EXPECT_EQ(camel->page_token(), "tok");

  absl::StatusOr<pb::ListBundlesRequest> snake = ListRequestFromHttp(
      RequestWith({{"label_selector", "x"}, {"page_size", "7"}, {"namespace", "ignored"}}), "path-ns");
  ASSERT_TRUE(snake.ok());
  EXPECT_EQ(snake->namespace_(), "path-ns") << "the path's namespace wins";
  EXPECT_EQ(snake->label_selector(), "x");
  EXPECT_EQ(snake->page_size(), 7);

  absl::StatusOr<pb::ListBundlesRequest> bad = ListRequestFromHttp(RequestWith({{"pageSize", "ten"}}), "");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("pageSize"));
}

TEST(HttpApiParsingTest, WatchResumesFromLastEventId) {
  httplib::Request request = RequestWith({{"namespace", "shop"}});
  request.headers.emplace("Last-Event-ID", "5-00000001");
  absl::StatusOr<pb::WatchBundlesRequest> watch = WatchRequestFromHttp(request);
  ASSERT_TRUE(watch.ok());
  EXPECT_EQ(watch->namespace_(), "shop");
  EXPECT_EQ(watch->resume_revision(), "5-00000001");
  request.params.emplace("resumeRevision", "9-00000001");
  EXPECT_EQ(WatchRequestFromHttp(request)->resume_revision(), "9-00000001");
}

TEST(HttpApiFormatTest, SseEventsCarryTheRevisionAsTheirId) {
  pb::WatchBundlesResponse event;
  event.set_type(pb::WATCH_EVENT_TYPE_MODIFIED);
  event.set_revision("3-0000000a");
  event.mutable_bundle()->set_namespace_("shop");
  event.mutable_bundle()->set_last_applied_tag("v1");
  EXPECT_EQ(SseEvent(event),
            "id: 3-0000000a\ndata: {\"type\":\"WATCH_EVENT_TYPE_MODIFIED\",\"bundle\":"
            "{\"namespace\":\"shop\",\"lastAppliedTag\":\"v1\"},\"revision\":\"3-0000000a\"}\n\n");
  pb::WatchBundlesResponse snapshot_entry;
  snapshot_entry.set_type(pb::WATCH_EVENT_TYPE_ADDED);
  EXPECT_THAT(SseEvent(snapshot_entry), StartsWith("data: "));
}

TEST(StatusMappingTest, MapsCodesAsGrpcGatewayDoes) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(nlohmann::json::parse(StatusToJson(absl::NotFoundError("gone"))),
            (nlohmann::json{{"code", 5}, {"status", "NOT_FOUND"}, {"message", "gone"}}));
  EXPECT_EQ(ToGrpcStatus(absl::PermissionDeniedError("no")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST(DashboardTest, EmbedsThePageItsScriptAndItsStyles) {
  absl::Span<const StaticAsset> assets = DashboardAssets();
  ASSERT_EQ(assets.size(), 3u);
  EXPECT_EQ(assets[0].path, "/");
  EXPECT_THAT(std::string(assets[0].body), HasSubstr("<table id=\"bundles\">"));
  EXPECT_THAT(std::string(assets[1].body), HasSubstr("/v1/bundles:watch"));
  EXPECT_THAT(std::string(assets[2].content_type), StartsWith("text/css"));
  for (const StaticAsset& asset : assets) {
    EXPECT_THAT(std::string(asset.etag), StartsWith("\"")) << asset.path;
    EXPECT_THAT(std::string(asset.body), ::testing::Not(HasSubstr("http://"))) << asset.path << ": no external assets";
    EXPECT_THAT(std::string(asset.body), ::testing::Not(HasSubstr("https://"))) << asset.path << ": no external assets";
  }
}

// The routes end to end, in process, over a cache filled by hand.
class HttpApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pb::Bundle web;
    web.set_namespace_("shop");
    web.set_name("web");
    web.set_resource_version("1");
    web.set_phase(pb::BUNDLE_PHASE_SYNCED);
    web.add_history()->set_tag("v1");
    cache_.Upsert(web);
    pb::Bundle blog = web;
    blog.set_namespace_("blog");
    blog.set_phase(pb::BUNDLE_PHASE_FAILED);
    cache_.Upsert(blog);

    api_.Register(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    cache_.Close();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Client Client() { return httplib::Client("127.0.0.1", port_); }

  BundleCache cache_{{.change_log_capacity = 16, .epoch = 1}};
  Authorizer authorizer_{nullptr, {}};
  WatchLimiter limiter_{1};
  BundleQueries queries_{cache_, authorizer_, limiter_, {.max_page_size = 1}};
  HttpApi api_{queries_, authorizer_,
               {.cors_allowed_origins = {"https://grafana.example"}, .poll_interval = absl::Milliseconds(50)}};
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(HttpApiServerTest, ListsPagesGetsAndSummarises) {
  httplib::Client client = Client();
  auto page = client.Get("/v1/bundles?pageSize=5");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "application/json");
  nlohmann::json first = nlohmann::json::parse(page->body);
  ASSERT_EQ(first["bundles"].size(), 1u) << "capped at --max_page_size";
  EXPECT_EQ(first["bundles"][0]["namespace"], "blog");
  EXPECT_EQ(first["totalSize"], 2);
  auto next = client.Get("/v1/bundles?pageToken=" + first["nextPageToken"].get<std::string>());
  ASSERT_TRUE(next);
  EXPECT_EQ(nlohmann::json::parse(next->body)["bundles"][0]["namespace"], "shop");

  auto failed = client.Get("/v1/bundles?phase=Failed");
  EXPECT_EQ(nlohmann::json::parse(failed->body)["totalSize"], 1);

  auto get = client.Get("/v1/namespaces/shop/bundles/web");
  ASSERT_TRUE(get);
  EXPECT_EQ(nlohmann::json::parse(get->body)["bundle"]["phase"], "BUNDLE_PHASE_SYNCED");
  auto history = client.Get("/v1/namespaces/shop/bundles/web/history");
  EXPECT_EQ(nlohmann::json::parse(history->body)["entries"][0]["tag"], "v1");
  auto summary = client.Get("/v1/summary");
  EXPECT_EQ(nlohmann::json::parse(summary->body)["total"]["total"], 2);
  auto in_namespace = client.Get("/v1/namespaces/blog/bundles");
  EXPECT_EQ(nlohmann::json::parse(in_namespace->body)["totalSize"], 1);
}

TEST_F(HttpApiServerTest, ErrorsAreJsonWithTheirHttpStatus) {
  httplib::Client client = Client();
  auto missing = client.Get("/v1/namespaces/shop/bundles/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["status"], "NOT_FOUND");
  auto selector = client.Get("/v1/bundles?labelSelector=a%20in%20b");
  EXPECT_EQ(selector->status, 400);
  EXPECT_THAT(nlohmann::json::parse(selector->body)["message"].get<std::string>(),
              HasSubstr("label_selector: invalid label selector \"a in b\""));
  auto token = client.Get("/v1/bundles?pageToken=garbage");
  EXPECT_EQ(token->status, 400);
}

TEST_F(HttpApiServerTest, CorsForAllowedOriginsOnly) {
  httplib::Client client = Client();
  auto allowed = client.Get("/v1/summary", {{"Origin", "https://grafana.example"}});
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), "https://grafana.example");
  auto other = client.Get("/v1/summary", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
  auto preflight = client.Options("/v1/bundles", {{"Origin", "https://grafana.example"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_THAT(preflight->get_header_value("Access-Control-Allow-Headers"), HasSubstr("Authorization"));
}

TEST_F(HttpApiServerTest, StreamsServerSentEventsAndLimitsWatches) {
  std::string received;
  std::thread changer([this] {
    absl::SleepFor(absl::Milliseconds(200));
    pb::Bundle web = *cache_.Get({"shop", "web"});
    web.set_resource_version("2");
    web.set_latest_tag("v2");
    cache_.Upsert(web);
  });
  httplib::Client client = Client();
  auto second_watch = std::thread([this] {
    absl::SleepFor(absl::Milliseconds(100));
    auto refused = Client().Get("/v1/bundles:watch");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 429) << "--max_watches is 1 here";
  });
  auto stream = client.Get("/v1/bundles:watch?namespace=shop", [&](const char* data, size_t length) {
    received.append(data, length);
    return received.find("\"latestTag\":\"v2\"") == std::string::npos;  // stop after the change
  });
  changer.join();
  second_watch.join();
  EXPECT_THAT(received, StartsWith("retry: 2000\n\n"));
  EXPECT_THAT(received, HasSubstr("data: {\"type\":\"WATCH_EVENT_TYPE_ADDED\""));
  EXPECT_THAT(received, HasSubstr("id: 2-00000001\ndata: {\"type\":\"WATCH_EVENT_TYPE_SYNCED\""));
  EXPECT_THAT(received, HasSubstr("id: 3-00000001\ndata: {\"type\":\"WATCH_EVENT_TYPE_MODIFIED\""));
  EXPECT_EQ(received.find("\"namespace\":\"blog\""), std::string::npos);
}

TEST_F(HttpApiServerTest, ServesTheDashboardWithEtags) {
  httplib::Client client = Client();
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), StartsWith("text/html"));
  EXPECT_THAT(page->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'self'"));
  auto cached = client.Get("/dashboard.js", {{"If-None-Match", page->get_header_value("ETag")}});
  EXPECT_EQ(cached->status, 200) << "another file's ETag does not match";
  auto script = client.Get("/dashboard.js");
  auto not_modified = client.Get("/dashboard.js", {{"If-None-Match", script->get_header_value("ETag")}});
  EXPECT_EQ(not_modified->status, 304);
}

}  // namespace
}  // namespace werf::gateway
