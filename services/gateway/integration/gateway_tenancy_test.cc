// Issue 15's gateway personas against the test bed's real authenticator and RBAC, with
// the built-in aggregated roles and base/'s rbac-users.yaml (which folds WerfBundle
// access into `view` and `edit`): a team-b editor who may also `watch` (but not `list`)
// team-a's bundles, a team-a viewer, a cluster-wide viewer, and tokens that expire,
// are unknown, or belong to a deleted ServiceAccount. Open watches are re-checked every
// 2 s (decisions cached for 1 s), so a revocation ends them within a few seconds.
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "services/gateway/integration/gateway_test_support.h"
#include "test/support/crd.h"

namespace werf::gateway::testing {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kService[] = "werf.operator.v1.BundleService";
constexpr char kSourceDir[] = WERF_SOURCE_DIR;
// What a revocation may take to end a watch: the re-check interval, the cache TTL, and
// slack for two shared cores.
constexpr absl::Duration kRecheckInterval = absl::Seconds(2);
constexpr absl::Duration kRevocationBudget = absl::Seconds(8);

// A streaming command (grpcurl on WatchBundles, curl -N on the SSE route) on its own
// thread, and when it ended.
class Stream {
 public:
  explicit Stream(std::vector<std::string> argv)
      : thread_([this, argv = std::move(argv)] {
          result_ = testbed::RunCommand(argv, {.stdin_data = "", .timeout = absl::Seconds(90), .env = {},
                                               .working_dir = ""});
          ended_ = absl::Now();
        }) {}
  ~Stream() { Join(); }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  // After Join: everything the command printed, stdout then stderr.
  std::string output() const { return result_.ok() ? result_->out + result_->err : result_.status().ToString(); }
  int exit_code() const { return result_.ok() ? result_->exit_code : -1; }
  absl::Time ended() const { return ended_; }

 private:
  absl::StatusOr<testbed::CommandResult> result_ = absl::UnknownError("not run");
  absl::Time ended_ = absl::InfiniteFuture();
  std::thread thread_;  // last: starts once the fields above exist
};

// The bundles' namespaces in a ListBundlesResponse (either JSON spelling).
std::vector<std::string> Namespaces(const nlohmann::json& list) {
  std::vector<std::string> namespaces;
  for (const nlohmann::json& bundle : list.value("bundles", nlohmann::json::array())) {
    namespaces.push_back(bundle.value("namespace", ""));
  }
  return namespaces;
}

// The `data:` events of an SSE stream, and whether it ended with `event: error`.
struct SseEvents {
  std::vector<nlohmann::json> data;
  nlohmann::json error;  // null unless the gateway ended the stream
};
SseEvents ParseSse(absl::string_view stream) {
  SseEvents events;
  for (absl::string_view block : absl::StrSplit(stream, "\n\n", absl::SkipEmpty())) {
    bool is_error = false;
    for (absl::string_view line : absl::StrSplit(block, '\n')) {
      if (line == "event: error") is_error = true;
      if (!absl::ConsumePrefix(&line, "data: ")) continue;
      nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (is_error) {
        events.error = parsed;
      } else {
        events.data.push_back(parsed);
      }
    }
  }
  return events;
}

// The namespaces of the bundles that watch events carry.
std::vector<std::string> EventNamespaces(const std::vector<nlohmann::json>& events) {
  std::vector<std::string> namespaces;
  for (const nlohmann::json& event : events) {
    if (event.contains("bundle")) namespaces.push_back(event["bundle"].value("namespace", ""));
  }
  return namespaces;
}

class GatewayTenancyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(test_support::InstallWerfBundleCrd());
    // The ClusterRoles that aggregate WerfBundle access into `view` and `edit`.
    ASSERT_TRUE(testbed::Kubectl({"apply", "-f", absl::StrCat(kSourceDir, "/deploy/kustomize/base/rbac-users.yaml")})
                    .ok());
    for (auto* ns : {&team_a_, &team_b_}) {
      absl::StatusOr<std::unique_ptr<TestNamespace>> created = TestNamespace::Create("gw-tenancy");
      ASSERT_TRUE(created.ok()) << created.status();
      *ns = *std::move(created);
      for (const char* name : {"web", "api"}) {
        ASSERT_TRUE(ApplyBundle((*ns)->name(), name, {{"tenancy-test", label_}}).ok());
      }
    }
    ASSERT_TRUE(PatchBundleStatus(a(), "web",
                                  {{"phase", "Synced"},
                                   {"latestTag", "1.2.0"},
                                   {"lastAppliedTag", "1.2.0"},
                                   {"history", {{{"tag", "1.2.0"}, {"jobName", "web-a-1"}, {"result", "Succeeded"}}}}})
                    .ok());
    cluster_viewer_binding_ = testbed::UniqueName("gw-tenancy-cluster-viewer");
    ASSERT_TRUE(testbed::ApplyYaml(absl::StrCat(R"(
apiVersion: v1
kind: ServiceAccount
metadata: {name: editor, namespace: )", b(), R"(}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer, namespace: )", a(), R"(}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: cluster-viewer, namespace: )", a(), R"(}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: editor, namespace: )", b(), R"(}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: ServiceAccount, name: editor, namespace: )", b(), R"(}]
---
# team-b's editor may watch team-a's bundles (say, for alerts) but not list them.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: werfbundle-watcher, namespace: )", a(), R"(}
rules: [{apiGroups: [werf.io], resources: [werfbundles], verbs: [watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: team-b-editor-watches, namespace: )", a(), R"(}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: werfbundle-watcher}
subjects: [{kind: ServiceAccount, name: editor, namespace: )", b(), R"(}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer, namespace: )", a(), R"(}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: viewer, namespace: )", a(), R"(}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: )", cluster_viewer_binding_, R"(}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: cluster-viewer, namespace: )", a(), R"(}]
)"))
                    .ok());
    // The aggregation controller folds rbac-users.yaml into view/edit asynchronously.
    ASSERT_TRUE(testbed::WaitFor(
                    "WerfBundle access aggregated into the edit and view roles",
                    [&]() -> absl::StatusOr<bool> {
                      for (const auto& [ns, user] :
                           {std::pair{b(), absl::StrCat("system:serviceaccount:", b(), ":editor")},
                            std::pair{a(), absl::StrCat("system:serviceaccount:", a(), ":viewer")}}) {
                        // Exits 1 for "no".
                        if (!testbed::Kubectl({"auth", "can-i", "list", "werfbundles.werf.io", "-n", ns, "--as", user})
                                 .ok()) {
                          return false;
                        }
                      }
                      return true;
                    },
                    absl::Seconds(30))
                    .ok());
    for (auto [token, ns, account] : {std::tuple{&editor_, b(), "editor"}, std::tuple{&viewer_, a(), "viewer"},
                                      std::tuple{&cluster_viewer_, a(), "cluster-viewer"}}) {
      absl::StatusOr<std::string> minted = testbed::MintServiceAccountToken(ns, account);
      ASSERT_TRUE(minted.ok()) << minted.status();
      *token = *minted;
      tokens_.push_back(*minted);
    }

    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(
        {"--auth=true", absl::StrCat("--watch_reauth_interval=", absl::FormatDuration(kRecheckInterval)),
         "--auth_cache_ttl=1s"});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  void TearDown() override {
    // Tokens are secrets: none reaches the gateway's log, whatever happened to them.
    if (gateway_ != nullptr) {
      for (const std::string& line : gateway_->LogLines()) {
        for (const std::string& token : tokens_) {
          EXPECT_FALSE(absl::StrContains(line, token)) << "a token in the log: " << line;
        }
      }
    }
    if (!cluster_viewer_binding_.empty()) {
      (void)testbed::Kubectl({"delete", "clusterrolebinding", cluster_viewer_binding_, "--ignore-not-found"});
    }
  }

  const std::string& a() const { return team_a_->name(); }
  const std::string& b() const { return team_b_->name(); }

  // grpcurl with a token; stdout on success, the "Code: ..." text otherwise.
  std::string Call(const std::string& token, absl::string_view method, const nlohmann::json& request) {
    absl::StatusOr<testbed::CommandResult> result =
        Grpcurl({"-H", absl::StrCat("authorization: Bearer ", token), "-d", request.dump(),
                 gateway_->grpc_address(), absl::StrCat(kService, "/", method)});
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    return result->exit_code == 0 ? result->out : result->err;
  }

  HttpAnswer Get(const std::string& token, absl::string_view path) {
    absl::StatusOr<HttpAnswer> answer =
        CurlGet(gateway_->http_address(), path, {absl::StrCat("Authorization: Bearer ", token)});
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? *answer : HttpAnswer{};
  }

  // WatchBundles for `request` until the gateway ends it or `max_time` passes.
  std::unique_ptr<Stream> GrpcWatch(const std::string& token, const nlohmann::json& request, int max_time) {
    return std::make_unique<Stream>(std::vector<std::string>{
        "grpcurl", "-plaintext", "-max-time", std::to_string(max_time), "-H",
        absl::StrCat("authorization: Bearer ", token), "-d", request.dump(), gateway_->grpc_address(),
        absl::StrCat(kService, "/WatchBundles")});
  }

  // The SSE route with `query` until the gateway ends it or `max_time` passes.
  std::unique_ptr<Stream> SseWatch(const std::string& token, absl::string_view query, int max_time) {
    return std::make_unique<Stream>(std::vector<std::string>{
        "curl", "-sS", "-N", "--max-time", std::to_string(max_time), "-H",
        absl::StrCat("Authorization: Bearer ", token),
        absl::StrCat("http://", gateway_->http_address(), "/v1/bundles:watch", query)});
  }

  // Waits until the gateway counts `count` open watches on `transport` (they have
  // passed authorization and started their snapshot).
  void WaitForOpenWatches(absl::string_view transport, int count) {
    const std::string series = absl::StrCat("werf_operator_gateway_watches{transport=\"", transport, "\"} ");
    ASSERT_TRUE(testbed::WaitFor(
                    absl::StrCat(count, " open ", transport, " watches"),
                    [&]() -> absl::StatusOr<bool> {
                      absl::StatusOr<HttpAnswer> metrics = CurlGet(gateway_->http_address(), "/metrics");
                      if (!metrics.ok()) return metrics.status();
                      for (absl::string_view line : absl::StrSplit(metrics->body, '\n')) {
                        if (absl::ConsumePrefix(&line, series)) return line == absl::StrCat(count);
                      }
                      return false;
                    },
                    absl::Seconds(20), absl::Milliseconds(100))
                    .ok());
  }

  // On this test's bundles, so that cluster-wide requests can leave out other tests' bundles.
  const std::string label_ = testbed::UniqueName("t");
  std::unique_ptr<TestNamespace> team_a_;
  std::unique_ptr<TestNamespace> team_b_;
  std::string cluster_viewer_binding_;
  std::string editor_;          // team-b: edit; team-a: watch only
  std::string viewer_;          // team-a: view
  std::string cluster_viewer_;  // everywhere: view
  std::vector<std::string> tokens_;  // every token the test used, none of which may be logged
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(GatewayTenancyTest, TeamBsEditorSeesOnlyTeamBAndAClusterViewerSeesAll) {
  // Lists and summaries, over gRPC and HTTP.
  const nlohmann::json list = nlohmann::json::parse(Call(editor_, "ListBundles", nlohmann::json::object()));
  EXPECT_THAT(Namespaces(list), ElementsAre(b(), b())) << list.dump();
  EXPECT_EQ(list["total_size"], 2);
  const nlohmann::json summary = nlohmann::json::parse(Call(editor_, "GetSummary", nlohmann::json::object()));
  ASSERT_EQ(summary["namespaces"].size(), 1u) << summary.dump();
  EXPECT_EQ(summary["namespaces"][0]["namespace"], b());
  EXPECT_THAT(Call(editor_, "ListBundles", {{"namespace", a()}}),
              HasSubstr(absl::StrCat("cannot list resource \"werfbundles\" in API group \"werf.io\" in the "
                                     "namespace \"", a(), "\"")));
  const HttpAnswer http = Get(editor_, "/v1/bundles");
  ASSERT_EQ(http.status, 200) << http.body;
  EXPECT_THAT(Namespaces(http.json), ElementsAre(b(), b()));
  const HttpAnswer http_summary = Get(editor_, "/v1/summary");
  ASSERT_EQ(http_summary.status, 200) << http_summary.body;
  ASSERT_EQ(http_summary.json["namespaces"].size(), 1u);
  EXPECT_EQ(http_summary.json["namespaces"][0]["namespace"], b());
  EXPECT_EQ(Get(editor_, absl::StrCat("/v1/namespaces/", a(), "/bundles")).status, 403);

  // A watch starts with a snapshot, which is a list: `watch` alone in team-a shows nothing.
  std::unique_ptr<Stream> refused = GrpcWatch(editor_, {{"namespace", a()}}, 5);
  refused->Join();
  EXPECT_THAT(refused->output(), HasSubstr("Code: PermissionDenied"));
  const HttpAnswer sse_a = Get(editor_, absl::StrCat("/v1/bundles:watch?namespace=", a()));
  EXPECT_EQ(sse_a.status, 403) << sse_a.body;
  EXPECT_THAT(sse_a.body, HasSubstr("cannot list resource"));

  // Cluster-wide watches stream team-b's snapshot and changes and nothing of team-a's.
  std::unique_ptr<Stream> grpc = GrpcWatch(editor_, nlohmann::json::object(), 8);
  std::unique_ptr<Stream> sse = SseWatch(editor_, "", 8);
  WaitForOpenWatches("grpc", 1);
  WaitForOpenWatches("sse", 1);
  ASSERT_TRUE(PatchBundleStatus(a(), "api", {{"latestTag", "9.9.9-hidden"}}).ok());
  ASSERT_TRUE(PatchBundleStatus(b(), "api", {{"latestTag", "1.0.0-visible"}}).ok());
  grpc->Join();
  sse->Join();

  const std::vector<std::string> grpc_namespaces = EventNamespaces(ParseJsonStream(grpc->output()));
  EXPECT_THAT(grpc_namespaces, Each(b())) << grpc->output();
  EXPECT_EQ(grpc_namespaces.size(), 3u) << "two snapshot entries and one change: " << grpc->output();
  EXPECT_THAT(grpc->output(), HasSubstr("1.0.0-visible"));
  EXPECT_THAT(grpc->output(), Not(HasSubstr("9.9.9-hidden")));

  const SseEvents sse_events = ParseSse(sse->output());
  EXPECT_THAT(EventNamespaces(sse_events.data), Each(b())) << sse->output();
  EXPECT_EQ(EventNamespaces(sse_events.data).size(), 3u) << sse->output();
  EXPECT_THAT(sse->output(), HasSubstr("1.0.0-visible"));
  EXPECT_THAT(sse->output(), Not(HasSubstr("9.9.9-hidden")));

  // Rights granted cluster-wide see every namespace (this test's bundles only, by label).
  const nlohmann::json selector = {{"label_selector", absl::StrCat("tenancy-test=", label_)}};
  const nlohmann::json everything = nlohmann::json::parse(Call(cluster_viewer_, "ListBundles", selector));
  EXPECT_THAT(Namespaces(everything), UnorderedElementsAre(a(), a(), b(), b())) << everything.dump();
  std::unique_ptr<Stream> all = GrpcWatch(cluster_viewer_, selector, 4);
  all->Join();
  EXPECT_THAT(EventNamespaces(ParseJsonStream(all->output())), UnorderedElementsAre(a(), a(), b(), b()))
      << all->output();
}

TEST_F(GatewayTenancyTest, AViewerSeesStatusUntilItsRoleBindingIsRevoked) {
  const nlohmann::json web = nlohmann::json::parse(Call(viewer_, "GetBundle", {{"namespace", a()}, {"name", "web"}}));
  EXPECT_EQ(web["bundle"]["phase"], "BUNDLE_PHASE_SYNCED") << web.dump();
  EXPECT_EQ(web["bundle"]["latest_tag"], "1.2.0");
  EXPECT_EQ(web["bundle"]["last_applied_tag"], "1.2.0");
  const HttpAnswer history = Get(viewer_, absl::StrCat("/v1/namespaces/", a(), "/bundles/web/history"));
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.json["entries"][0]["jobName"], "web-a-1");

  // Open watches, one of each transport (cluster-wide and for the namespace).
  std::unique_ptr<Stream> grpc = GrpcWatch(viewer_, nlohmann::json::object(), 40);
  std::unique_ptr<Stream> sse = SseWatch(viewer_, absl::StrCat("?namespace=", a()), 40);
  WaitForOpenWatches("grpc", 1);
  WaitForOpenWatches("sse", 1);
  absl::SleepFor(kRecheckInterval);  // at least one re-check passes while access holds
  const absl::Time revoked = absl::Now();
  ASSERT_TRUE(testbed::Kubectl({"delete", "rolebinding", "viewer", "-n", a()}).ok());
  grpc->Join();
  sse->Join();

  EXPECT_LT(grpc->ended() - revoked, kRevocationBudget) << grpc->output();
  EXPECT_THAT(grpc->output(), HasSubstr("\"latest_tag\": \"1.2.0\"")) << "the snapshot carried the status";
  EXPECT_THAT(grpc->output(), HasSubstr("Code: PermissionDenied"));
  EXPECT_THAT(grpc->output(), HasSubstr(absl::StrCat("in the namespace \"", a(), "\" any more")));

  EXPECT_LT(sse->ended() - revoked, kRevocationBudget) << sse->output();
  EXPECT_EQ(sse->exit_code(), 0) << "the gateway closed the stream; curl did not time out: " << sse->output();
  const SseEvents events = ParseSse(sse->output());
  EXPECT_THAT(sse->output(), HasSubstr("\"latestTag\":\"1.2.0\""));
  ASSERT_TRUE(events.error.is_object()) << sse->output();
  EXPECT_EQ(events.error["status"], "PERMISSION_DENIED");
  EXPECT_THAT(events.error.value("message", ""), HasSubstr("any more"));

  // And the next request is refused at once (the decision cache is 1 s).
  absl::SleepFor(absl::Seconds(1));
  EXPECT_THAT(Call(viewer_, "ListBundles", {{"namespace", a()}}), HasSubstr("Code: PermissionDenied"));
}

TEST_F(GatewayTenancyTest, ExpiredAndUnknownTokensAreRefused) {
  absl::StatusOr<std::string> expired =
      testbed::SignServiceAccountToken(b(), "editor", absl::Now() - absl::Minutes(5));
  ASSERT_TRUE(expired.ok()) << expired.status();
  tokens_.push_back(*expired);
  for (const std::string& token : {*expired, std::string("not-a-token"), std::string("e30.e30.c2ln")}) {
    EXPECT_THAT(Call(token, "ListBundles", nlohmann::json::object()), HasSubstr("Code: Unauthenticated"));
    std::unique_ptr<Stream> grpc = GrpcWatch(token, nlohmann::json::object(), 5);
    grpc->Join();
    EXPECT_THAT(grpc->output(), HasSubstr("Code: Unauthenticated"));
    EXPECT_EQ(Get(token, "/v1/bundles").status, 401);
    EXPECT_EQ(Get(token, "/v1/bundles:watch").status, 401);
  }
  // An expired token is told so: the time comes from the token itself, so saying it
  // tells a prober nothing the API server's answer would (which is not echoed).
  const HttpAnswer expired_answer = Get(*expired, "/v1/bundles");
  EXPECT_THAT(expired_answer.json.value("message", ""), HasSubstr("the bearer token expired at "))
      << expired_answer.body;
  EXPECT_THAT(Get("not-a-token", "/v1/bundles").json.value("message", ""), Not(HasSubstr("expired at")));
}

TEST_F(GatewayTenancyTest, AWatchEndsWhenItsTokenExpires) {
  // The API server accepts a ServiceAccount token for a minute past its `exp`; the
  // gateway ends the watch at `exp` itself.
  const absl::Time expires = absl::Now() + absl::Seconds(10);
  absl::StatusOr<std::string> token = testbed::SignServiceAccountToken(b(), "editor", expires);
  ASSERT_TRUE(token.ok()) << token.status();
  tokens_.push_back(*token);
  ASSERT_THAT(Call(*token, "ListBundles", nlohmann::json::object()), HasSubstr(b()))
      << "the signed token is accepted before it expires";
  std::unique_ptr<Stream> grpc = GrpcWatch(*token, nlohmann::json::object(), 40);
  std::unique_ptr<Stream> sse = SseWatch(*token, "", 40);
  grpc->Join();
  sse->Join();

  for (const Stream* stream : {grpc.get(), sse.get()}) {
    EXPECT_GE(stream->ended(), expires - absl::Seconds(1)) << stream->output();
    // Well before the API server's leeway (a minute) would end it.
    EXPECT_LT(stream->ended(), expires + absl::Seconds(6)) << stream->output();
  }
  EXPECT_THAT(grpc->output(), HasSubstr("Code: Unauthenticated"));
  EXPECT_THAT(grpc->output(), HasSubstr("expired"));
  const SseEvents events = ParseSse(sse->output());
  EXPECT_THAT(EventNamespaces(events.data), Contains(b())) << sse->output();
  ASSERT_TRUE(events.error.is_object()) << sse->output();
  EXPECT_EQ(events.error["status"], "UNAUTHENTICATED");
}

TEST_F(GatewayTenancyTest, AWatchEndsWhenItsServiceAccountIsDeleted) {
  ASSERT_TRUE(testbed::ApplyYaml(absl::StrCat(R"(
apiVersion: v1
kind: ServiceAccount
metadata: {name: leaving, namespace: )", b(), R"(}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: leaving, namespace: )", b(), R"(}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: leaving, namespace: )", b(), R"(}]
)"))
                  .ok());
  absl::StatusOr<std::string> token = testbed::MintServiceAccountToken(b(), "leaving");
  ASSERT_TRUE(token.ok()) << token.status();
  tokens_.push_back(*token);
  std::unique_ptr<Stream> grpc = GrpcWatch(*token, {{"namespace", b()}}, 40);
  std::unique_ptr<Stream> sse = SseWatch(*token, absl::StrCat("?namespace=", b()), 40);
  WaitForOpenWatches("grpc", 1);
  WaitForOpenWatches("sse", 1);
  const absl::Time deleted = absl::Now();
  ASSERT_TRUE(testbed::Kubectl({"delete", "serviceaccount", "leaving", "-n", b()}).ok());
  grpc->Join();
  sse->Join();

  // The API server itself remembers a token it accepted for 10 s (its authentication
  // cache), so a deleted ServiceAccount's token passes TokenReview for that long.
  constexpr absl::Duration kApiServerTokenCache = absl::Seconds(10);
  EXPECT_LT(grpc->ended() - deleted, kApiServerTokenCache + kRevocationBudget) << grpc->output();
  EXPECT_THAT(grpc->output(), HasSubstr("Code: Unauthenticated"));
  EXPECT_LT(sse->ended() - deleted, kApiServerTokenCache + kRevocationBudget) << sse->output();
  const SseEvents events = ParseSse(sse->output());
  ASSERT_TRUE(events.error.is_object()) << sse->output();
  EXPECT_EQ(events.error["status"], "UNAUTHENTICATED");
}

}  // namespace
}  // namespace werf::gateway::testing
