// The gateway's gRPC face, exercised the way people use it: grpcurl with no .proto
// files (reflection), against real WerfBundles whose status changes during the test.
#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "libs/common/grpc_health_client.h"
#include "libs/common/testing/status_testing.h"
#include "services/gateway/integration/gateway_test_support.h"
#include "test/support/crd.h"

namespace werf::gateway::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kService[] = "werf.operator.v1.BundleService";

class GatewayGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(test_support::InstallWerfBundleCrd());
    absl::StatusOr<std::unique_ptr<TestNamespace>> created = TestNamespace::Create("gw-grpc");
    ASSERT_TRUE(created.ok()) << created.status();
    ns_ = *std::move(created);
    ASSERT_TRUE(ApplyBundle(ns(), "web", {{"team", "payments"}}).ok());
    ASSERT_TRUE(ApplyBundle(ns(), "api", {{"team", "search"}}).ok());
    ASSERT_TRUE(ApplyBundle(ns(), "db").ok());
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
        GatewayProcess::Start({"--watch_heartbeat_interval=1s"});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  void TearDown() override {
    if (HasFailure() && ns_ != nullptr) std::printf("%s\n", ForeignStatusWriters(ns()).c_str());
  }

  const std::string& ns() const { return ns_->name(); }

  // grpcurl -d <request> <gateway> BundleService/<method>; the answer as JSON, or the
  // error text grpcurl prints.
  absl::StatusOr<nlohmann::json> Call(absl::string_view method, const nlohmann::json& request) {
    absl::StatusOr<testbed::CommandResult> result =
        Grpcurl({"-d", request.dump(), gateway_->grpc_address(), absl::StrCat(kService, "/", method)});
    if (!result.ok()) return result.status();
    if (result->exit_code != 0) return absl::InternalError(result->err);
    return nlohmann::json::parse(result->out);
  }

  // The bundle's status has reached the gateway: GetBundle shows `field` = `value`.
  void WaitForField(absl::string_view name, absl::string_view field, absl::string_view value) {
    const nlohmann::json request = {{"namespace", ns()}, {"name", name}};
    absl::Status seen = testbed::WaitFor(
        absl::StrCat("GetBundle ", name, " with ", field, "=", value),
        [&]() -> absl::StatusOr<bool> {
          absl::StatusOr<nlohmann::json> got = Call("GetBundle", request);
          if (!got.ok()) return got.status();
          return (*got)["bundle"].value(std::string(field), "") == value;
        },
        absl::Seconds(20));
    ASSERT_TRUE(seen.ok()) << seen;
  }

  std::unique_ptr<TestNamespace> ns_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(GatewayGrpcTest, ReflectionListsAndDescribesAReadOnlyService) {
  absl::StatusOr<testbed::CommandResult> services = Grpcurl({gateway_->grpc_address(), "list"});
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(services->out, HasSubstr(kService));
  EXPECT_THAT(services->out, HasSubstr("grpc.health.v1.Health"));

  absl::StatusOr<testbed::CommandResult> methods = Grpcurl({gateway_->grpc_address(), "list", kService});
  ASSERT_TRUE(methods.ok());
  EXPECT_EQ(methods->out,
            "werf.operator.v1.BundleService.GetBundle\n"
            "werf.operator.v1.BundleService.GetBundleHistory\n"
            "werf.operator.v1.BundleService.GetSummary\n"
            "werf.operator.v1.BundleService.ListBundles\n"
            "werf.operator.v1.BundleService.WatchBundles\n")
      << "read-only: no mutating RPC";

  absl::StatusOr<testbed::CommandResult> service = Grpcurl({gateway_->grpc_address(), "describe", kService});
  ASSERT_TRUE(service.ok());
  EXPECT_THAT(service->out,
              HasSubstr("rpc WatchBundles ( .werf.operator.v1.WatchBundlesRequest ) returns "
                        "( stream .werf.operator.v1.WatchBundlesResponse )"));
  absl::StatusOr<testbed::CommandResult> bundle =
      Grpcurl({gateway_->grpc_address(), "describe", "werf.operator.v1.Bundle"});
  ASSERT_TRUE(bundle.ok());
  EXPECT_THAT(bundle->out, HasSubstr("string last_applied_tag = 10;"));

  // grpc++'s built-in health service is not described by reflection, so grpcurl cannot
  // call it without health.proto; a gRPC client can.
  absl::StatusOr<common::HealthStatus> health = common::CheckHealth(
      grpc::CreateChannel(gateway_->grpc_address(), grpc::InsecureChannelCredentials()), kService,
      absl::Seconds(5));
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, common::HealthStatus::kServing);
}

TEST_F(GatewayGrpcTest, ListAndGetFollowTheStatusAsItChanges) {
  ASSERT_TRUE(PatchBundleStatus(ns(), "web",
                                {{"phase", "Synced"},
                                 {"lastAppliedTag", "1.2.0"},
                                 {"latestTag", "1.2.0"},
                                 {"lastSyncTime", "2026-01-02T03:04:05Z"},
                                 {"history", {{{"tag", "1.2.0"}, {"result", "Succeeded"}, {"jobName", "web-1"}},
                                              {{"tag", "1.1.0"}, {"result", "Failed"}}}}})
                  .ok());
  ASSERT_TRUE(PatchBundleStatus(ns(), "api",
                                {{"phase", "Failed"},
                                 {"lastErrorMessage", "werf exited 1"},
                                 {"consecutiveFailures", 5}})
                  .ok());
  WaitForField("web", "last_applied_tag", "1.2.0");
  WaitForField("api", "phase", "BUNDLE_PHASE_FAILED");

  absl::StatusOr<nlohmann::json> all = Call("ListBundles", {{"namespace", ns()}});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ((*all)["bundles"].size(), 3u);
  EXPECT_EQ((*all)["bundles"][0]["name"], "api");  // ordered by name within the namespace
  EXPECT_EQ((*all)["bundles"][1]["name"], "db");
  EXPECT_EQ((*all)["bundles"][2]["name"], "web");
  EXPECT_EQ((*all)["total_size"], 3);
  EXPECT_EQ((*all)["bundles"][0]["consecutive_failures"], 5);

  absl::StatusOr<nlohmann::json> failed =
      Call("ListBundles", {{"namespace", ns()}, {"phase", "BUNDLE_PHASE_FAILED"}});
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ((*failed)["bundles"].size(), 1u);
  EXPECT_EQ((*failed)["bundles"][0]["last_error_message"], "werf exited 1");

  absl::StatusOr<nlohmann::json> labelled =
      Call("ListBundles", {{"namespace", ns()}, {"label_selector", "team in (payments,search),team!=search"}});
  ASSERT_TRUE(labelled.ok());
  ASSERT_EQ((*labelled)["bundles"].size(), 1u);
  EXPECT_EQ((*labelled)["bundles"][0]["name"], "web");

  absl::StatusOr<nlohmann::json> first = Call("ListBundles", {{"namespace", ns()}, {"page_size", 2}});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ((*first)["bundles"].size(), 2u);
  ASSERT_TRUE((*first).contains("next_page_token"));
  absl::StatusOr<nlohmann::json> second = Call(
      "ListBundles", {{"namespace", ns()}, {"page_size", 2}, {"page_token", (*first)["next_page_token"]}});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ((*second)["bundles"].size(), 1u);
  EXPECT_EQ((*second)["bundles"][0]["name"], "web");
  EXPECT_FALSE((*second).contains("next_page_token"));

  absl::StatusOr<nlohmann::json> web = Call("GetBundle", {{"namespace", ns()}, {"name", "web"}});
  ASSERT_TRUE(web.ok());
  EXPECT_EQ((*web)["bundle"]["phase"], "BUNDLE_PHASE_SYNCED");
  EXPECT_EQ((*web)["bundle"]["labels"]["team"], "payments");
  EXPECT_EQ((*web)["bundle"]["last_sync_time"], "2026-01-02T03:04:05Z");
  EXPECT_EQ((*web)["bundle"]["spec"]["release"], "web");

  absl::StatusOr<nlohmann::json> history = Call("GetBundleHistory", {{"namespace", ns()}, {"name", "web"}});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ((*history)["entries"].size(), 2u);
  EXPECT_EQ((*history)["entries"][0]["result"], "CONVERGE_RESULT_SUCCEEDED");

  absl::StatusOr<nlohmann::json> summary = Call("GetSummary", {{"namespace", ns()}});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ((*summary)["total"], (nlohmann::json{{"unknown", 1}, {"synced", 1}, {"failed", 1}, {"total", 3}}));

  // The controller moves on; the gateway follows without being asked twice.
  ASSERT_TRUE(PatchBundleStatus(ns(), "web", {{"phase", "Syncing"}, {"latestTag", "1.3.0"}}).ok());
  WaitForField("web", "latest_tag", "1.3.0");
  absl::StatusOr<nlohmann::json> moved = Call("GetBundle", {{"namespace", ns()}, {"name", "web"}});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ((*moved)["bundle"]["phase"], "BUNDLE_PHASE_SYNCING");
}

TEST_F(GatewayGrpcTest, ErrorsUseTheCanonicalCodes) {
  absl::StatusOr<nlohmann::json> missing = Call("GetBundle", {{"namespace", ns()}, {"name", "nope"}});
  EXPECT_THAT(missing.status().message(), HasSubstr("Code: NotFound"));
  absl::StatusOr<nlohmann::json> selector = Call("ListBundles", {{"label_selector", "team in nope"}});
  EXPECT_THAT(selector.status().message(), HasSubstr("Code: InvalidArgument"));
  EXPECT_THAT(selector.status().message(), HasSubstr("invalid label selector \"team in nope\""));
  absl::StatusOr<nlohmann::json> token = Call("ListBundles", {{"page_token", "bm9wZQ"}});
  EXPECT_THAT(token.status().message(), HasSubstr("Code: InvalidArgument"));
  absl::StatusOr<nlohmann::json> unnamed = Call("GetBundle", {{"namespace", ns()}});
  EXPECT_THAT(unnamed.status().message(), HasSubstr("Code: InvalidArgument"));
}

// grpcurl's WatchBundles output until -max-time ends it.
std::vector<nlohmann::json> WatchWithGrpcurl(const std::string& address, const nlohmann::json& request,
                                             int seconds) {
  absl::StatusOr<testbed::CommandResult> result =
      Grpcurl({"-max-time", std::to_string(seconds), "-d", request.dump(), address,
               absl::StrCat(kService, "/WatchBundles")},
              absl::Seconds(seconds + 30));
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return {};
  return ParseJsonStream(result->out);
}

// "ADDED web", "SYNCED", "HEARTBEAT" ... Only MODIFIED events that carry
// `modified_marker` as latest_tag are kept, the first of each bundle: a controller
// reconciling the test's bundles at the same time (another test's, on a shared test
// bed) adds status writes of its own that say nothing about the gateway.
std::vector<std::string> Describe(const std::vector<nlohmann::json>& events,
                                  absl::string_view modified_marker = "", bool with_heartbeats = false) {
  std::vector<std::string> described;
  for (const nlohmann::json& event : events) {
    std::string type = event.value("type", "");
    type = type.substr(std::string("WATCH_EVENT_TYPE_").size());
    if (type == "HEARTBEAT" && !with_heartbeats) continue;
    if (event.contains("bundle")) type += " " + event["bundle"].value("name", "");
    if (absl::StartsWith(type, "MODIFIED")) {
      if (event["bundle"].value("latest_tag", "") != modified_marker) continue;
      if (std::find(described.begin(), described.end(), type) != described.end()) continue;
    }
    described.push_back(type);
  }
  return described;
}

TEST_F(GatewayGrpcTest, WatchStreamsASnapshotThenChangesAndResumes) {
  std::vector<nlohmann::json> events;
  std::thread watcher([&] { events = WatchWithGrpcurl(gateway_->grpc_address(), {{"namespace", ns()}}, 8); });
  absl::SleepFor(absl::Seconds(3));  // grpcurl starts, the snapshot goes out
  ASSERT_TRUE(PatchBundleStatus(ns(), "web", {{"phase", "Synced"}, {"latestTag", "2.0.0"}}).ok());
  ASSERT_TRUE(ApplyBundle(ns(), "new").ok());
  ASSERT_TRUE(DeleteBundle(ns(), "db").ok());
  watcher.join();

  EXPECT_THAT(Describe(events, "2.0.0"),
              ElementsAre("ADDED api", "ADDED db", "ADDED web", "SYNCED", "MODIFIED web", "ADDED new",
                          "DELETED db"));
  EXPECT_THAT(Describe(events, "2.0.0", /*with_heartbeats=*/true), Contains("HEARTBEAT"))
      << "--watch_heartbeat_interval=1s while nothing changed";
  ASSERT_GE(events.size(), 4u);
  const std::string synced_at = events[3]["revision"];
  ASSERT_FALSE(synced_at.empty());

  // Resuming from SYNCED's revision replays exactly the changes after it.
  std::vector<nlohmann::json> resumed =
      WatchWithGrpcurl(gateway_->grpc_address(), {{"namespace", ns()}, {"resume_revision", synced_at}}, 2);
  EXPECT_THAT(Describe(resumed, "2.0.0"), ElementsAre("SYNCED", "MODIFIED web", "ADDED new", "DELETED db"));

  // A revision of another gateway process cannot be resumed: RESYNC and a snapshot.
  std::vector<nlohmann::json> foreign =
      WatchWithGrpcurl(gateway_->grpc_address(), {{"namespace", ns()}, {"resume_revision", "1-00000000"}}, 2);
  EXPECT_THAT(Describe(foreign, "(none)"), ElementsAre("RESYNC", "ADDED api", "ADDED new", "ADDED web", "SYNCED"));
}

}  // namespace
}  // namespace werf::gateway::testing
