// KubeAccessReviewer against the fake API server: what it posts, and how the API
// server's answers and refusals become the gateway's.
#include "services/gateway/kube_access_reviewer.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::gateway {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using kube::testing::ApiError;
using kube::testing::FakeRestClient;
using kube::testing::Verb;

// An API server that authenticates "good" as alice and lets her read bundles in "apps" only.
std::shared_ptr<FakeRestClient> ApiServer(std::vector<json>* posted) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->OnCall([posted](absl::string_view method, absl::string_view path,
                        const json* body) -> absl::StatusOr<json> {
    if (method != "POST" || body == nullptr) return absl::InvalidArgumentError("unexpected call");
    posted->push_back(*body);
    json answer = *body;
    if (path == "/apis/authentication.k8s.io/v1/tokenreviews") {
      const bool good = (*body)["spec"]["token"] == "good";
      answer["status"] = {{"authenticated", good}};
      if (good) answer["status"]["user"] = {{"username", "alice"}, {"uid", "u-1"}, {"groups", {"devs"}}};
      return answer;
    }
    if (path == "/apis/authorization.k8s.io/v1/subjectaccessreviews") {
      const json& attributes = (*body)["spec"]["resourceAttributes"];
      answer["status"] = {{"allowed", (*body)["spec"]["user"] == "alice" && attributes.value("namespace", "") == "apps"}};
      return answer;
    }
    return absl::NotFoundError(path);
  });
  return fake;
}

TEST(KubeAccessReviewerTest, ReviewsTheTokenForTheConfiguredAudiences) {
  std::vector<json> posted;
  KubeAccessReviewer reviewer(ApiServer(&posted), {"werf-gateway"});
  const absl::StatusOr<UserInfo> user = reviewer.ReviewToken("good");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->username, "alice");
  EXPECT_EQ(user->uid, "u-1");
  EXPECT_THAT(user->groups, ElementsAre("devs"));
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0]["kind"], "TokenReview");
  EXPECT_EQ(posted[0]["spec"]["audiences"], json({"werf-gateway"}));

  EXPECT_EQ(reviewer.ReviewToken("bad").status().code(), absl::StatusCode::kUnauthenticated);
}

struct AccessCase {
  std::string name;
  AccessRequest request;
  bool allowed;
};

class KubeAccessReviewerAccessTest : public ::testing::TestWithParam<AccessCase> {};

TEST_P(KubeAccessReviewerAccessTest, AsksASubjectAccessReview) {
  std::vector<json> posted;
  KubeAccessReviewer reviewer(ApiServer(&posted), {});
  const absl::StatusOr<bool> allowed =
      reviewer.ReviewAccess({.username = "alice", .uid = "u-1", .groups = {"devs"}, .extra = {}}, GetParam().request);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(*allowed, GetParam().allowed);
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0]["spec"]["resourceAttributes"]["resource"], "werfbundles");
  EXPECT_EQ(posted[0]["spec"]["resourceAttributes"]["verb"], GetParam().request.verb);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, KubeAccessReviewerAccessTest,
    ::testing::Values(AccessCase{.name = "OwnNamespace", .request = {.verb = "get", .ns = "apps", .name = "app"}, .allowed = true},
                      AccessCase{.name = "OtherNamespace", .request = {.verb = "list", .ns = "ops", .name = ""}, .allowed = false},
                      AccessCase{.name = "ClusterWide", .request = {.verb = "watch", .ns = "", .name = ""}, .allowed = false}),
    [](const ::testing::TestParamInfo<AccessCase>& info) { return info.param.name; });

TEST(KubeAccessReviewerTest, ItsOwnMissingPermissionIsUnavailableAndSaysWhichRoleToBind) {
  std::vector<json> posted;
  std::shared_ptr<FakeRestClient> fake = ApiServer(&posted);
  KubeAccessReviewer reviewer(fake, {});
  fake->FailNext(Verb::kCall, ApiError(403, "Forbidden"));
  const absl::Status token = reviewer.ReviewToken("good").status();
  EXPECT_EQ(token.code(), absl::StatusCode::kUnavailable) << token;
  EXPECT_THAT(std::string(token.message()), HasSubstr("system:auth-delegator"));

  fake->FailNext(Verb::kCall, ApiError(503, "ServiceUnavailable"));
  const absl::Status access = reviewer.ReviewAccess({.username = "alice", .uid = "", .groups = {}, .extra = {}},
                                                    {.verb = "get", .ns = "apps", .name = ""})
                                  .status();
  EXPECT_EQ(access.code(), absl::StatusCode::kUnavailable) << access;
  EXPECT_THAT(std::string(access.message()), HasSubstr("subjectaccessreviews"));
  EXPECT_TRUE(posted.empty());
}

}  // namespace
}  // namespace werf::gateway
