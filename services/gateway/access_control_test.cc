#include "services/gateway/access_control.h"

#include <set>
#include <string>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/kube_access_reviewer.h"

namespace werf::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Stands in for the API server's reviews in these unit tests of the caching and
// scoping logic; the real reviews are exercised against the test bed's API server
// in integration/gateway_auth_test.cc.
class FakeReviewer : public AccessReviewer {
 public:
  absl::StatusOr<UserInfo> ReviewToken(absl::string_view token) override {
    ++token_reviews;
    if (!reachable) return absl::UnavailableError("API server down");
    if (token != "good") return absl::UnauthenticatedError("bad token");
    return UserInfo{.username = "alice", .uid = "u1", .groups = {"devs"}, .extra = {}};
  }
  absl::StatusOr<bool> ReviewAccess(const UserInfo& user, const AccessRequest& request) override {
    ++access_reviews;
    if (!reachable) return absl::UnavailableError("API server down");
    return grants.contains(std::make_tuple(user.username, request.verb, request.ns));
  }

  bool reachable = true;
  std::set<std::tuple<std::string, std::string, std::string>> grants;  // user, verb, namespace
  int token_reviews = 0;
  int access_reviews = 0;
};

class AuthorizerTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeReviewer> reviewer_ = std::make_shared<FakeReviewer>();
  Authorizer authorizer_{reviewer_, {.cache_ttl = absl::Minutes(1)}};
  Caller alice_ = Caller::User(UserInfo{.username = "alice", .uid = "", .groups = {}, .extra = {}});
};

TEST(AuthorizerDisabledTest, AllowsAnyone) {
  Authorizer authorizer(nullptr, {});
  EXPECT_FALSE(authorizer.enabled());
  absl::StatusOr<Caller> caller = authorizer.Authenticate("");
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->user(), nullptr);
  EXPECT_TRUE(authorizer.Authorize(*caller, {"list", "x", ""}).ok());
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> scope = authorizer.ScopeNamespaces(*caller, "list", {});
  ASSERT_TRUE(scope.ok());
  EXPECT_TRUE((*scope)->all());
}

TEST_F(AuthorizerTest, AuthenticatesBearerTokensAndCachesTheAnswer) {
  absl::StatusOr<Caller> caller = authorizer_.Authenticate("Bearer good");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->user()->username, "alice");
  EXPECT_THAT(caller->user()->groups, ElementsAre("devs"));
  ASSERT_TRUE(authorizer_.Authenticate("bearer   good").ok());
  EXPECT_EQ(reviewer_->token_reviews, 1);

  EXPECT_EQ(authorizer_.Authenticate("Bearer bad").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(authorizer_.Authenticate("Bearer bad").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(reviewer_->token_reviews, 2) << "rejections are cached too";
}

TEST_F(AuthorizerTest, MissingTokensAreUnauthenticatedWithoutAReview) {
  for (const char* header : {"", "Basic dXNlcjpwdw==", "Bearer", "Bearer   "}) {
    absl::StatusOr<Caller> caller = authorizer_.Authenticate(header);
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_THAT(caller.status().message(), HasSubstr("authorization: Bearer")) << header;
  }
  EXPECT_EQ(reviewer_->token_reviews, 0);
}

TEST_F(AuthorizerTest, AnUnreachableApiServerIsUnavailableAndNotCached) {
  reviewer_->reachable = false;
  EXPECT_EQ(authorizer_.Authenticate("Bearer good").status().code(), absl::StatusCode::kUnavailable);
  reviewer_->reachable = true;
  EXPECT_TRUE(authorizer_.Authenticate("Bearer good").ok());
  EXPECT_EQ(reviewer_->token_reviews, 2);
}

TEST_F(AuthorizerTest, DeniesWithKubernetesWording) {
  reviewer_->grants.emplace("alice", "get", "shop");
  EXPECT_TRUE(authorizer_.Authorize(alice_, {"get", "shop", "web"}).ok());
  const absl::Status denied = authorizer_.Authorize(alice_, {"get", "blog", "web"});
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "user \"alice\" cannot get resource \"werfbundles\" in API group \"werf.io\" named "
            "\"web\" in the namespace \"blog\"");
  EXPECT_TRUE(authorizer_.Authorize(alice_, {"get", "shop", "web"}).ok());
  EXPECT_EQ(reviewer_->access_reviews, 2) << "decisions are cached";
}

TEST_F(AuthorizerTest, ScopesClusterWideRequestsToAllowedNamespaces) {
  reviewer_->grants.emplace("alice", "list", "shop");
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> scope =
      authorizer_.ScopeNamespaces(alice_, "list", {"blog", "shop"});
  ASSERT_TRUE(scope.ok()) << scope.status();
  NamespaceAccess& access = **scope;
  EXPECT_FALSE(access.all());
  EXPECT_TRUE(access.AllowsKnown("shop"));
  EXPECT_FALSE(access.AllowsKnown("blog"));
  EXPECT_FALSE(access.AllowsKnown("new")) << "undecided namespaces are not allowed";
  EXPECT_THAT(access.AllowedNamespaces(), ElementsAre("shop"));

  reviewer_->grants.emplace("alice", "list", "new");
  EXPECT_TRUE(access.Decide("new"));
  EXPECT_TRUE(access.AllowsKnown("new"));
  const int reviews = reviewer_->access_reviews;
  EXPECT_TRUE(access.Decide("new"));
  EXPECT_EQ(reviewer_->access_reviews, reviews);
}

TEST_F(AuthorizerTest, ClusterWideGrantsAllowEveryNamespace) {
  reviewer_->grants.emplace("alice", "watch", "");
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> scope =
      authorizer_.ScopeNamespaces(alice_, "watch", {"blog", "shop"});
  ASSERT_TRUE(scope.ok());
  EXPECT_TRUE((*scope)->all());
  EXPECT_EQ(reviewer_->access_reviews, 1);
}

TEST_F(AuthorizerTest, NoNamespaceAtAllIsPermissionDenied) {
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> scope =
      authorizer_.ScopeNamespaces(alice_, "list", {"blog", "shop"});
  EXPECT_EQ(scope.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(scope.status().message(), HasSubstr("at the cluster scope, nor in any namespace"));
}

TEST(BearerTokenTest, ExtractsTheToken) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("  bearer abc  "), "abc");
  EXPECT_EQ(BearerToken("BEARER abc"), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearerabc"), "");
  EXPECT_EQ(BearerToken(""), "");
}

TEST(KubeAccessReviewerTest, BuildsReviewsAsTheApiExpects) {
  const nlohmann::json token_review = TokenReviewRequest("t0k3n", {"gateway"});
  EXPECT_EQ(token_review["kind"], "TokenReview");
  EXPECT_EQ(token_review["spec"]["token"], "t0k3n");
  EXPECT_EQ(token_review["spec"]["audiences"], nlohmann::json::array({"gateway"}));
  EXPECT_FALSE(TokenReviewRequest("t", {})["spec"].contains("audiences"));

  const UserInfo user{.username = "system:serviceaccount:a:b", .uid = "u",
                      .groups = {"system:serviceaccounts"}, .extra = {{"scopes", {"x"}}}};
  const nlohmann::json access = SubjectAccessReviewRequest(user, {"list", "shop", ""});
  EXPECT_EQ(access["kind"], "SubjectAccessReview");
  EXPECT_EQ(access["spec"]["user"], "system:serviceaccount:a:b");
  EXPECT_EQ(access["spec"]["groups"], nlohmann::json::array({"system:serviceaccounts"}));
  EXPECT_EQ(access["spec"]["extra"]["scopes"], nlohmann::json::array({"x"}));
  EXPECT_EQ(access["spec"]["resourceAttributes"],
            (nlohmann::json{{"verb", "list"}, {"group", "werf.io"}, {"resource", "werfbundles"},
                            {"namespace", "shop"}}));
  EXPECT_FALSE(SubjectAccessReviewRequest(user, {"list", "", ""})["spec"]["resourceAttributes"]
                   .contains("namespace"));
}

TEST(KubeAccessReviewerTest, ReadsTheAnswers) {
  absl::StatusOr<UserInfo> user = UserFromTokenReview(nlohmann::json::parse(R"({
      "status": {"authenticated": true,
                 "user": {"username": "system:serviceaccount:a:b", "uid": "u",
                          "groups": ["system:serviceaccounts", "system:authenticated"],
                          "extra": {"authentication.kubernetes.io/pod-name": ["p"]}}}})"));
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->username, "system:serviceaccount:a:b");
  EXPECT_THAT(user->groups, ElementsAre("system:serviceaccounts", "system:authenticated"));
  EXPECT_THAT(user->extra["authentication.kubernetes.io/pod-name"], ElementsAre("p"));

  EXPECT_EQ(UserFromTokenReview(nlohmann::json::parse(
                R"({"status": {"authenticated": false, "error": "token expired"}})"))
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(UserFromTokenReview(nlohmann::json::parse(R"({})")).status().code(),
            absl::StatusCode::kUnavailable);

  EXPECT_TRUE(*AllowedFromSubjectAccessReview(nlohmann::json::parse(R"({"status": {"allowed": true}})")));
  EXPECT_FALSE(*AllowedFromSubjectAccessReview(nlohmann::json::parse(R"({"status": {"allowed": false}})")));
  EXPECT_FALSE(*AllowedFromSubjectAccessReview(
      nlohmann::json::parse(R"({"status": {"allowed": true, "denied": true}})")));
}

}  // namespace
}  // namespace werf::gateway
