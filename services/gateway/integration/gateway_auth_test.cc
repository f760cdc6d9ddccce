// --auth=true against the test bed's real authenticator and RBAC: ServiceAccount tokens
// from the TokenRequest API, reviewed by TokenReview, authorised by SubjectAccessReview.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "services/gateway/integration/gateway_test_support.h"
#include "test/support/crd.h"

namespace werf::gateway::testing {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;

constexpr char kService[] = "werf.operator.v1.BundleService";

class GatewayAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(test_support::InstallWerfBundleCrd());
    for (auto* ns : {&allowed_, &forbidden_}) {
      absl::StatusOr<std::unique_ptr<TestNamespace>> created = TestNamespace::Create("gw-auth");
      ASSERT_TRUE(created.ok()) << created.status();
      *ns = *std::move(created);
      ASSERT_TRUE(ApplyBundle((*ns)->name(), "web").ok());
      ASSERT_TRUE(ApplyBundle((*ns)->name(), "api").ok());
    }
    // `reader` may read WerfBundles in the allowed namespace only; `nobody` has no RBAC.
    const std::string ns = allowed_->name();
    ASSERT_TRUE(testbed::ApplyYaml(absl::StrCat(R"(
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: )", ns, R"(}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: nobody, namespace: )", ns, R"(}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: werfbundle-reader, namespace: )", ns, R"(}
rules:
  - apiGroups: [werf.io]
    resources: [werfbundles]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: werfbundle-reader, namespace: )", ns, R"(}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: werfbundle-reader}
subjects:
  - {kind: ServiceAccount, name: reader, namespace: )", ns, R"(}
)"))
                    .ok());
    absl::StatusOr<std::string> reader = testbed::MintServiceAccountToken(ns, "reader");
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_token_ = *reader;
    absl::StatusOr<std::string> nobody = testbed::MintServiceAccountToken(ns, "nobody");
    ASSERT_TRUE(nobody.ok()) << nobody.status();
    nobody_token_ = *nobody;

    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start({"--auth=true"});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  // grpcurl with an optional token; stdout on success, "Code: ..." text otherwise.
  std::string Call(const std::string& token, absl::string_view method, const nlohmann::json& request,
                   int max_time = 0) {
    std::vector<std::string> args;
    if (!token.empty()) args = {"-H", absl::StrCat("authorization: Bearer ", token)};
    if (max_time > 0) {
      args.push_back("-max-time");
      args.push_back(std::to_string(max_time));
    }
    args.insert(args.end(), {"-d", request.dump(), gateway_->grpc_address(), absl::StrCat(kService, "/", method)});
    absl::StatusOr<testbed::CommandResult> result = Grpcurl(args);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    return result->exit_code == 0 || max_time > 0 ? result->out + result->err : result->err;
  }

  HttpAnswer Get(const std::string& token, absl::string_view path) {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back(absl::StrCat("Authorization: Bearer ", token));
    absl::StatusOr<HttpAnswer> answer = CurlGet(gateway_->http_address(), path, headers);
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? *answer : HttpAnswer{};
  }

  std::unique_ptr<TestNamespace> allowed_;
  std::unique_ptr<TestNamespace> forbidden_;
  std::string reader_token_;
  std::string nobody_token_;
  std::unique_ptr<GatewayProcess> gateway_;
};

std::vector<std::string> Namespaces(const nlohmann::json& list) {
  std::vector<std::string> namespaces;
  for (const nlohmann::json& bundle : list.value("bundles", nlohmann::json::array())) {
    namespaces.push_back(bundle.value("namespace", ""));
  }
  return namespaces;
}

TEST_F(GatewayAuthTest, RequestsWithoutAValidTokenAreUnauthenticated) {
  EXPECT_THAT(Call("", "ListBundles", nlohmann::json::object()), HasSubstr("Code: Unauthenticated"));
  EXPECT_THAT(Call("not-a-token", "ListBundles", nlohmann::json::object()), HasSubstr("Code: Unauthenticated"));
  const HttpAnswer missing = Get("", "/v1/bundles");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.json["status"], "UNAUTHENTICATED");
  EXPECT_EQ(Get("not-a-token", "/v1/summary").status, 401);
  // Reflection stays open: it describes the API, not the bundles.
  absl::StatusOr<testbed::CommandResult> list = Grpcurl({gateway_->grpc_address(), "list"});
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(list->out, HasSubstr(kService));
}

TEST_F(GatewayAuthTest, ATokenWithoutRbacIsPermissionDenied) {
  EXPECT_THAT(Call(nobody_token_, "ListBundles", nlohmann::json::object()), HasSubstr("Code: PermissionDenied"));
  const std::string in_namespace = Call(nobody_token_, "ListBundles", {{"namespace", allowed_->name()}});
  EXPECT_THAT(in_namespace, HasSubstr("Code: PermissionDenied"));
  EXPECT_THAT(in_namespace, HasSubstr(absl::StrCat("cannot list resource \"werfbundles\" in API group \"werf.io\" "
                                                   "in the namespace \"", allowed_->name(), "\"")));
  EXPECT_THAT(Call(nobody_token_, "GetBundle", {{"namespace", allowed_->name()}, {"name", "web"}}),
              HasSubstr("Code: PermissionDenied"));
  EXPECT_THAT(Call(nobody_token_, "WatchBundles", nlohmann::json::object(), 5), HasSubstr("Code: PermissionDenied"));
  EXPECT_THAT(Call(nobody_token_, "GetSummary", nlohmann::json::object()), HasSubstr("Code: PermissionDenied"));
  const HttpAnswer http = Get(nobody_token_, "/v1/bundles");
  EXPECT_EQ(http.status, 403);
  EXPECT_EQ(http.json["status"], "PERMISSION_DENIED");
}

TEST_F(GatewayAuthTest, ARoleInOneNamespaceSeesOnlyThatNamespace) {
  const std::string ns = allowed_->name();
  const nlohmann::json all = nlohmann::json::parse(Call(reader_token_, "ListBundles", nlohmann::json::object()));
  EXPECT_THAT(Namespaces(all), Each(ns)) << all.dump();
  EXPECT_EQ(all["total_size"], 2);

  const HttpAnswer http = Get(reader_token_, "/v1/bundles");
  ASSERT_EQ(http.status, 200) << http.body;
  EXPECT_THAT(Namespaces(http.json), Each(ns));
  EXPECT_EQ(http.json["bundles"].size(), 2u);

  const nlohmann::json summary = nlohmann::json::parse(Call(reader_token_, "GetSummary", nlohmann::json::object()));
  ASSERT_EQ(summary["namespaces"].size(), 1u) << summary.dump();
  EXPECT_EQ(summary["namespaces"][0]["namespace"], ns);

  EXPECT_THAT(Call(reader_token_, "GetBundle", {{"namespace", ns}, {"name", "web"}}), HasSubstr("\"name\": \"web\""));
  EXPECT_THAT(Call(reader_token_, "GetBundle", {{"namespace", forbidden_->name()}, {"name", "web"}}),
              HasSubstr("Code: PermissionDenied"));
  EXPECT_THAT(Call(reader_token_, "ListBundles", {{"namespace", forbidden_->name()}}),
              HasSubstr("Code: PermissionDenied"));
  EXPECT_EQ(Get(reader_token_, absl::StrCat("/v1/namespaces/", forbidden_->name(), "/bundles/web")).status, 403);

  // A cluster-wide watch streams the allowed namespace and nothing else.
  std::string stream;
  std::thread watcher([&] { stream = Call(reader_token_, "WatchBundles", nlohmann::json::object(), 6); });
  absl::SleepFor(absl::Seconds(2));
  ASSERT_TRUE(PatchBundleStatus(forbidden_->name(), "web", {{"latestTag", "9.9.9-hidden"}}).ok());
  ASSERT_TRUE(PatchBundleStatus(ns, "web", {{"latestTag", "1.0.0-visible"}}).ok());
  watcher.join();
  std::vector<std::string> seen;
  int snapshot = 0;
  for (const nlohmann::json& event : ParseJsonStream(stream)) {
    if (event.contains("bundle")) seen.push_back(event["bundle"].value("namespace", ""));
    if (event.value("type", "") == "WATCH_EVENT_TYPE_ADDED") ++snapshot;
  }
  EXPECT_THAT(seen, Each(ns)) << stream;
  EXPECT_EQ(snapshot, 2) << stream;
  EXPECT_THAT(stream, HasSubstr("1.0.0-visible"));
  EXPECT_THAT(stream, ::testing::Not(HasSubstr("9.9.9-hidden")));
}

}  // namespace
}  // namespace werf::gateway::testing
