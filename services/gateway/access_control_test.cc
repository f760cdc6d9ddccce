#include "services/gateway/access_control.h"

#include <set>
#include <string>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/gateway/fake_access_reviewer.h"
#include "services/gateway/kube_access_reviewer.h"

namespace werf::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> scope = authorizer.ScopeNamespaces(*caller, {"list"}, "", {});
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
      authorizer_.ScopeNamespaces(alice_, {"list"}, "", {"blog", "shop"});
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
      authorizer_.ScopeNamespaces(alice_, {"watch"}, "", {"blog", "shop"});
  ASSERT_TRUE(scope.ok());
  EXPECT_TRUE((*scope)->all());
  EXPECT_EQ(reviewer_->access_reviews, 1);
}

TEST_F(AuthorizerTest, NoNamespaceAtAllIsPermissionDenied) {
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> scope =
      authorizer_.ScopeNamespaces(alice_, {"list"}, "", {"blog", "shop"});
  EXPECT_EQ(scope.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(scope.status().message(), HasSubstr("at the cluster scope, nor in any namespace"));
}

// A JWT whose payload holds only `exp`; the fake reviewer accepts whatever it is told.
std::string JwtExpiringAt(absl::Time expiry) {
  return absl::StrCat("e30.", absl::WebSafeBase64Escape(absl::StrCat(R"({"exp":)", absl::ToUnixSeconds(expiry), "}")),
                      ".sig");
}

TEST_F(AuthorizerTest, AWatchNeedsListAsWellAsWatch) {
  reviewer_->grants.emplace("alice", "watch", "shop");
  reviewer_->grants.emplace("alice", "list", "blog");
  reviewer_->grants.emplace("alice", "watch", "blog");
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> shop =
      authorizer_.ScopeNamespaces(alice_, {"list", "watch"}, "shop", {});
  EXPECT_EQ(shop.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(shop.status().message(), HasSubstr("cannot list resource \"werfbundles\""));
  EXPECT_THAT(shop.status().message(), HasSubstr("in the namespace \"shop\""));

  absl::StatusOr<std::shared_ptr<NamespaceAccess>> all =
      authorizer_.ScopeNamespaces(alice_, {"list", "watch"}, "", {"blog", "shop"});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT((*all)->AllowedNamespaces(), ElementsAre("blog"));
}

TEST_F(AuthorizerTest, AnExpiredJwtIsRefusedWithoutAReview) {
  const std::string token = JwtExpiringAt(absl::Now() - absl::Seconds(5));
  reviewer_->users.emplace(token, UserInfo{.username = "alice", .uid = "", .groups = {}, .extra = {}});
  absl::StatusOr<Caller> caller = authorizer_.Authenticate(absl::StrCat("Bearer ", token));
  EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(caller.status().message(), HasSubstr("the bearer token expired at"));
  EXPECT_EQ(reviewer_->token_reviews, 0);
}

TEST_F(AuthorizerTest, ATokenIsNotAcceptedPastItsExpiryWhateverTheCacheSays) {
  // The cache would keep the review for a minute; the token says a second. JWT times are
  // whole seconds: start just after one, so the token has that second to live.
  absl::SleepFor(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1) - absl::Now());
  const absl::Time expiry = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1);
  const std::string token = JwtExpiringAt(expiry);
  reviewer_->users.emplace(token, UserInfo{.username = "alice", .uid = "", .groups = {}, .extra = {}});
  absl::StatusOr<Caller> caller = authorizer_.Authenticate(absl::StrCat("Bearer ", token));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->token_expiry(), expiry);
  EXPECT_TRUE(authorizer_.Reauthenticate(*caller).ok());
  absl::SleepFor(expiry - absl::Now() + absl::Milliseconds(10));
  const absl::Status expired = authorizer_.Reauthenticate(*caller);
  EXPECT_EQ(expired.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(expired.message(), HasSubstr("expired"));
  EXPECT_EQ(reviewer_->token_reviews, 1);
}

// Re-checks with nothing cached, so that every change on the API server shows at once.
class RecheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Caller> caller = authorizer_.Authenticate("Bearer good");
    ASSERT_TRUE(caller.ok()) << caller.status();
    caller_ = *caller;
    for (const char* verb : {"list", "watch"}) reviewer_->grants.emplace("alice", verb, "shop");
  }

  std::shared_ptr<NamespaceAccess> Scope(absl::string_view ns) {
    absl::StatusOr<std::shared_ptr<NamespaceAccess>> scope =
        authorizer_.ScopeNamespaces(caller_, {"list", "watch"}, ns, {"blog", "shop"});
    EXPECT_TRUE(scope.ok()) << scope.status();
    return scope.ok() ? *scope : nullptr;
  }

  std::shared_ptr<FakeReviewer> reviewer_ = std::make_shared<FakeReviewer>();
  Authorizer authorizer_{reviewer_, {.cache_ttl = absl::ZeroDuration()}};
  Caller caller_ = Caller::Anyone();
};

TEST_F(RecheckTest, PassesWhileNothingChanged) {
  std::shared_ptr<NamespaceAccess> access = Scope("");
  ASSERT_NE(access, nullptr);
  EXPECT_TRUE(access->rechecked());
  EXPECT_TRUE(access->Recheck().ok());
  EXPECT_THAT(access->AllowedNamespaces(), ElementsAre("shop"));
}

TEST_F(RecheckTest, ARejectedTokenIsUnauthenticated) {
  std::shared_ptr<NamespaceAccess> access = Scope("shop");
  ASSERT_NE(access, nullptr);
  reviewer_->users.clear();
  EXPECT_EQ(access->Recheck().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(RecheckTest, ARevokedNamespaceIsPermissionDeniedNamingIt) {
  for (absl::string_view ns : {"shop", ""}) {
    std::shared_ptr<NamespaceAccess> access = Scope(ns);
    ASSERT_NE(access, nullptr);
    reviewer_->grants.erase(std::make_tuple("alice", "watch", "shop"));
    const absl::Status revoked = access->Recheck();
    EXPECT_EQ(revoked.code(), absl::StatusCode::kPermissionDenied) << ns;
    EXPECT_THAT(revoked.message(),
                HasSubstr("user \"alice\" cannot watch resource \"werfbundles\" in API group \"werf.io\" "
                          "in the namespace \"shop\" any more; this watch ends"));
    reviewer_->grants.emplace("alice", "watch", "shop");
  }
}

TEST_F(RecheckTest, ARevokedClusterWideGrantIsPermissionDenied) {
  for (const char* verb : {"list", "watch"}) reviewer_->grants.emplace("alice", verb, "");
  std::shared_ptr<NamespaceAccess> access = Scope("");
  ASSERT_NE(access, nullptr);
  EXPECT_TRUE(access->all());
  EXPECT_TRUE(access->Recheck().ok());
  reviewer_->grants.erase(std::make_tuple("alice", "list", ""));
  const absl::Status revoked = access->Recheck();
  EXPECT_EQ(revoked.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(revoked.message(), HasSubstr("cannot list resource \"werfbundles\" in API group \"werf.io\" at the "
                                           "cluster scope any more"));
}

TEST_F(RecheckTest, AsksOnlyForWhatTheAccessReliesOn) {
  std::shared_ptr<NamespaceAccess> access = Scope("");
  ASSERT_NE(access, nullptr);
  const int tokens = reviewer_->token_reviews;
  const int reviews = reviewer_->access_reviews;
  ASSERT_TRUE(access->Recheck().ok());
  EXPECT_EQ(reviewer_->token_reviews - tokens, 1);
  EXPECT_EQ(reviewer_->access_reviews - reviews, 2) << "list and watch in shop; blog is denied already";
}

TEST_F(RecheckTest, NamespacesDeniedAtTheStartStayDenied) {
  std::shared_ptr<NamespaceAccess> access = Scope("");
  ASSERT_NE(access, nullptr);
  for (const char* verb : {"list", "watch"}) reviewer_->grants.emplace("alice", verb, "blog");
  EXPECT_TRUE(access->Recheck().ok());
  EXPECT_FALSE(access->AllowsKnown("blog")) << "a watch does not gain namespaces: its snapshot lacks them";
}

TEST_F(RecheckTest, AnUnreachableApiServerIsAnError) {
  std::shared_ptr<NamespaceAccess> access = Scope("shop");
  ASSERT_NE(access, nullptr);
  reviewer_->reachable = false;
  EXPECT_EQ(access->Recheck().code(), absl::StatusCode::kUnavailable);
}

TEST_F(AuthorizerTest, RechecksWithinTheCacheTtlCostNoReview) {
  absl::StatusOr<Caller> caller = authorizer_.Authenticate("Bearer good");
  ASSERT_TRUE(caller.ok());
  for (const char* verb : {"list", "watch"}) reviewer_->grants.emplace("alice", verb, "shop");
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> access =
      authorizer_.ScopeNamespaces(*caller, {"list", "watch"}, "", {"blog", "shop"});
  ASSERT_TRUE(access.ok());
  const int reviews = reviewer_->token_reviews + reviewer_->access_reviews;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE((*access)->Recheck().ok());
  EXPECT_EQ(reviewer_->token_reviews + reviewer_->access_reviews, reviews);
}

TEST(AuthorizerDisabledTest, NothingToRecheck) {
  NamespaceAccess everything;
  EXPECT_FALSE(everything.rechecked());
  EXPECT_TRUE(everything.Recheck().ok());
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
