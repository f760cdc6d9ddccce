// The gateway's HTTP face with curl: the JSON API (protobuf JSON mapping), Server-Sent
// Events, CORS, and the bundle gauges on /metrics, against real WerfBundles.
#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "services/gateway/integration/gateway_test_support.h"
#include "test/support/crd.h"

namespace werf::gateway::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class GatewayHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(test_support::InstallWerfBundleCrd());
    absl::StatusOr<std::unique_ptr<TestNamespace>> created = TestNamespace::Create("gw-http");
    ASSERT_TRUE(created.ok()) << created.status();
    ns_ = *std::move(created);
    ASSERT_TRUE(ApplyBundle(ns(), "web", {{"team", "payments"}}).ok());
    ASSERT_TRUE(ApplyBundle(ns(), "api").ok());
    ASSERT_TRUE(PatchBundleStatus(ns(), "web",
                                  {{"phase", "Synced"},
                                   {"lastAppliedTag", "1.2.0"},
                                   {"latestTag", "1.3.0"},
                                   {"lastSyncTime", "2026-01-02T03:04:05Z"},
                                   {"history", {{{"tag", "1.2.0"}, {"result", "Succeeded"}}}}})
                    .ok());
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
        GatewayProcess::Start({"--cors_allowed_origins=https://grafana.example"});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  void TearDown() override {
    if (HasFailure() && ns_ != nullptr) std::printf("%s\n", ForeignStatusWriters(ns()).c_str());
  }

  const std::string& ns() const { return ns_->name(); }

  HttpAnswer Get(absl::string_view path, const std::vector<std::string>& headers = {}) {
    absl::StatusOr<HttpAnswer> answer = CurlGet(gateway_->http_address(), path, headers);
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? *answer : HttpAnswer{};
  }

  std::unique_ptr<TestNamespace> ns_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(GatewayHttpTest, ServesTheJsonApi) {
  const HttpAnswer list = Get(absl::StrCat("/v1/bundles?namespace=", ns()));
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json["bundles"].size(), 2u);
  EXPECT_EQ(list.json["totalSize"], 2);
  EXPECT_EQ(list.json["bundles"][1]["name"], "web");
  EXPECT_EQ(list.json["bundles"][1]["lastAppliedTag"], "1.2.0") << "lowerCamelCase JSON names";
  EXPECT_EQ(list.json["bundles"][1]["phase"], "BUNDLE_PHASE_SYNCED");

  const HttpAnswer in_namespace = Get(absl::StrCat("/v1/namespaces/", ns(), "/bundles?labelSelector=team%3Dpayments"));
  ASSERT_EQ(in_namespace.status, 200);
  ASSERT_EQ(in_namespace.json["bundles"].size(), 1u);

  const HttpAnswer synced = Get(absl::StrCat("/v1/bundles?namespace=", ns(), "&phase=Synced&page_size=1"));
  EXPECT_EQ(synced.json["totalSize"], 1);

  const HttpAnswer web = Get(absl::StrCat("/v1/namespaces/", ns(), "/bundles/web"));
  ASSERT_EQ(web.status, 200);
  EXPECT_EQ(web.json["bundle"]["latestTag"], "1.3.0");
  EXPECT_EQ(web.json["bundle"]["lastSyncTime"], "2026-01-02T03:04:05Z");

  const HttpAnswer history = Get(absl::StrCat("/v1/namespaces/", ns(), "/bundles/web/history"));
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(history.json["entries"][0]["result"], "CONVERGE_RESULT_SUCCEEDED");

  const HttpAnswer summary = Get(absl::StrCat("/v1/summary?namespace=", ns()));
  ASSERT_EQ(summary.status, 200);
  EXPECT_EQ(summary.json["namespaces"][0]["namespace"], ns());
  EXPECT_EQ(summary.json["total"], (nlohmann::json{{"unknown", 1}, {"synced", 1}, {"total", 2}}));
}

TEST_F(GatewayHttpTest, ErrorsAreJsonWithHttpCodes) {
  const HttpAnswer missing = Get(absl::StrCat("/v1/namespaces/", ns(), "/bundles/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json["status"], "NOT_FOUND");
  EXPECT_THAT(missing.json["message"].get<std::string>(), HasSubstr("\"nope\" not found"));
  const HttpAnswer selector = Get("/v1/bundles?labelSelector=team%20in%20nope");
  EXPECT_EQ(selector.status, 400);
  EXPECT_EQ(selector.json["status"], "INVALID_ARGUMENT");
  const HttpAnswer phase = Get("/v1/bundles?phase=Exploded");
  EXPECT_EQ(phase.status, 400);
  const HttpAnswer token = Get("/v1/bundles?pageToken=nope");
  EXPECT_EQ(token.status, 400);
}

TEST_F(GatewayHttpTest, CorsAnswersConfiguredOriginsOnly) {
  absl::StatusOr<std::string> preflight = testbed::RunCommandOk(
      {"curl", "-sS", "-i", "-X", "OPTIONS", "-H", "Origin: https://grafana.example", "-H",
       "Access-Control-Request-Method: GET", absl::StrCat("http://", gateway_->http_address(), "/v1/bundles")});
  ASSERT_TRUE(preflight.ok()) << preflight.status();
  EXPECT_THAT(*preflight, StartsWith("HTTP/1.1 204"));
  EXPECT_THAT(*preflight, HasSubstr("Access-Control-Allow-Origin: https://grafana.example"));
  absl::StatusOr<std::string> other = testbed::RunCommandOk(
      {"curl", "-sS", "-i", "-H", "Origin: https://evil.example",
       absl::StrCat("http://", gateway_->http_address(), "/v1/summary")});
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, ::testing::Not(HasSubstr("Access-Control-Allow-Origin")));
}

TEST_F(GatewayHttpTest, StreamsServerSentEventsAsTheStatusChanges) {
  std::string stream;
  std::thread reader([&] {
    // curl exits 28 at --max-time; what it printed until then is the stream.
    absl::StatusOr<testbed::CommandResult> result = testbed::RunCommand(
        {"curl", "-sS", "-N", "--max-time", "6",
         absl::StrCat("http://", gateway_->http_address(), "/v1/bundles:watch?namespace=", ns())});
    ASSERT_TRUE(result.ok()) << result.status();
    stream = result->out;
  });
  absl::SleepFor(absl::Seconds(2));
  ASSERT_TRUE(PatchBundleStatus(ns(), "api", {{"phase", "Failed"}, {"lastErrorMessage", "boom"}}).ok());
  reader.join();

  EXPECT_THAT(stream, StartsWith("retry: 2000\n\n"));
  // Events as (id, data); the id is empty for snapshot entries.
  std::vector<std::pair<std::string, nlohmann::json>> events;
  for (absl::string_view block : absl::StrSplit(stream, "\n\n", absl::SkipEmpty())) {
    std::string id;
    for (absl::string_view line : absl::StrSplit(block, '\n')) {
      if (absl::ConsumePrefix(&line, "id: ")) id = std::string(line);
      if (absl::ConsumePrefix(&line, "data: ")) events.emplace_back(id, nlohmann::json::parse(line));
    }
  }
  ASSERT_GE(events.size(), 4u) << stream;
  EXPECT_EQ(events[0].second["type"], "WATCH_EVENT_TYPE_ADDED");
  EXPECT_EQ(events[0].first, "") << "snapshot entries carry no id";
  EXPECT_EQ(events[1].second["type"], "WATCH_EVENT_TYPE_ADDED");
  EXPECT_EQ(events[2].second["type"], "WATCH_EVENT_TYPE_SYNCED");
  EXPECT_EQ(events[2].first, events[2].second["revision"]);
  const auto change = std::find_if(events.begin() + 3, events.end(), [](const auto& event) {
    return event.second["type"] == "WATCH_EVENT_TYPE_MODIFIED" &&
           event.second["bundle"].value("lastErrorMessage", "") == "boom";
  });
  ASSERT_NE(change, events.end()) << stream;
  EXPECT_EQ(change->second["bundle"]["name"], "api");
  EXPECT_EQ(change->first, change->second["revision"]);
  const std::vector<std::string> ids = {events[2].first};

  // A browser's EventSource reconnects with Last-Event-ID: only what followed comes again.
  absl::StatusOr<testbed::CommandResult> resumed = testbed::RunCommand(
      {"curl", "-sS", "-N", "--max-time", "2", "-H", absl::StrCat("Last-Event-ID: ", ids[0]),
       absl::StrCat("http://", gateway_->http_address(), "/v1/bundles:watch?namespace=", ns())});
  ASSERT_TRUE(resumed.ok());
  EXPECT_THAT(resumed->out, HasSubstr("WATCH_EVENT_TYPE_SYNCED"));
  EXPECT_THAT(resumed->out, HasSubstr("\"lastErrorMessage\":\"boom\""));
  EXPECT_THAT(resumed->out, ::testing::Not(HasSubstr("WATCH_EVENT_TYPE_ADDED")));
}

TEST_F(GatewayHttpTest, ExportsBundleGaugesThatPromtoolAccepts) {
  // prometheus-cpp writes labels sorted by name.
  const std::string info = absl::StrCat("werf_operator_bundle_info{applied_tag=\"1.2.0\",latest_tag=\"1.3.0\","
                                        "name=\"web\",namespace=\"", ns(), "\",phase=\"Synced\"} 1");
  absl::Status exported = testbed::WaitFor(
      "werf_operator_bundle_info for web",
      [&]() -> absl::StatusOr<bool> {
        absl::StatusOr<HttpAnswer> metrics = CurlGet(gateway_->http_address(), "/metrics");
        if (!metrics.ok()) return metrics.status();
        return metrics->body.find(info) != std::string::npos;
      },
      absl::Seconds(10));
  ASSERT_TRUE(exported.ok()) << exported;
  const HttpAnswer metrics = Get("/metrics");
  EXPECT_THAT(metrics.body, HasSubstr(absl::StrCat("werf_operator_bundle_last_sync_timestamp_seconds{name=\"web\","
                                                   "namespace=\"", ns(), "\"} 1767323045")));
  EXPECT_THAT(metrics.body, HasSubstr(absl::StrCat("werf_operator_bundle_consecutive_failures{name=\"api\","
                                                   "namespace=\"", ns(), "\"} 0")));

  // A phase change replaces the info series instead of adding a second one.
  ASSERT_TRUE(PatchBundleStatus(ns(), "web", {{"phase", "Syncing"}}).ok());
  absl::Status replaced = testbed::WaitFor(
      "the Syncing series for web",
      [&]() -> absl::StatusOr<bool> {
        absl::StatusOr<HttpAnswer> now = CurlGet(gateway_->http_address(), "/metrics");
        if (!now.ok()) return now.status();
        return now->body.find(absl::StrCat("namespace=\"", ns(), "\",phase=\"Syncing\"")) != std::string::npos &&
               now->body.find(info) == std::string::npos;
      },
      absl::Seconds(10));
  EXPECT_TRUE(replaced.ok()) << replaced;

  absl::StatusOr<testbed::CommandResult> promtool = testbed::RunCommand(
      {"promtool", "check", "metrics"}, {.stdin_data = Get("/metrics").body, .timeout = absl::Seconds(30),
                                         .env = {}, .working_dir = ""});
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_code, 0) << promtool->out << promtool->err;
}

TEST_F(GatewayHttpTest, DrainsWatchesAndExitsZeroOnSigterm) {
  std::thread reader([&] {
    (void)testbed::RunCommand({"curl", "-sS", "-N", "--max-time", "20",
                               absl::StrCat("http://", gateway_->http_address(), "/v1/bundles:watch")});
  });
  absl::SleepFor(absl::Seconds(1));
  const absl::Time start = absl::Now();
  EXPECT_EQ(gateway_->Terminate(absl::Seconds(10)), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4)) << "open watches must not hold up the drain";
  reader.join();
}

}  // namespace
}  // namespace werf::gateway::testing
