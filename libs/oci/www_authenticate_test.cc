#include "libs/oci/www_authenticate.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::oci {
namespace {

using ::testing::HasSubstr;
using ::werf::status_testing::Message;
using Params = std::map<std::string, std::string, std::less<>>;

struct Expected {
  std::string scheme{};
  Params params{};
  std::string token68{};
};

struct ValidCase {
  std::string name{};
  std::string header{};
  std::vector<Expected> challenges{};
};

class WwwAuthenticateParseTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(WwwAuthenticateParseTest, Parses) {
  ASSERT_OK_AND_ASSIGN(std::vector<AuthChallenge> challenges, ParseWwwAuthenticate(GetParam().header));
  ASSERT_EQ(challenges.size(), GetParam().challenges.size());
  for (size_t i = 0; i < challenges.size(); ++i) {
    EXPECT_EQ(challenges[i].scheme, GetParam().challenges[i].scheme) << i;
    EXPECT_EQ(challenges[i].params, GetParam().challenges[i].params) << i;
    EXPECT_EQ(challenges[i].token68, GetParam().challenges[i].token68) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Headers, WwwAuthenticateParseTest,
    ::testing::Values(
        ValidCase{"DockerHub",
                  R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")",
                  {{"bearer",
                    {{"realm", "https://auth.docker.io/token"},
                     {"service", "registry.docker.io"},
                     {"scope", "repository:library/nginx:pull"}}}}},
        ValidCase{"Basic", R"(Basic realm="Registry Realm")", {{"basic", {{"realm", "Registry Realm"}}}}},
        ValidCase{"SchemeOnly", "Basic", {{"basic", {}}}},
        ValidCase{"CaseInsensitiveNames", R"(BEARER Realm="r", SERVICE=s)", {{"bearer", {{"realm", "r"}, {"service", "s"}}}}},
        ValidCase{"CommaInQuotedString",
                  R"(Bearer realm="https://a/token",scope="repository:a:pull,push repository:b:pull")",
                  {{"bearer", {{"realm", "https://a/token"}, {"scope", "repository:a:pull,push repository:b:pull"}}}}},
        ValidCase{"EscapesInQuotedString", R"(Basic realm="say \"hi\", \\ back\slash")",
                  {{"basic", {{"realm", R"(say "hi", \ backslash)"}}}}},
        ValidCase{"EmptyQuotedValue", R"(Bearer realm="", service="s")", {{"bearer", {{"realm", ""}, {"service", "s"}}}}},
        ValidCase{"WhitespaceAroundEquals", "Bearer realm = \"r\" ,\tservice\t=\ts", {{"bearer", {{"realm", "r"}, {"service", "s"}}}}},
        ValidCase{"UnquotedUrlValue", "Bearer realm=https://auth.example.com/token,service=registry",
                  {{"bearer", {{"realm", "https://auth.example.com/token"}, {"service", "registry"}}}}},
        ValidCase{"TwoChallenges", R"(Basic realm="b", Bearer realm="t",service="s")",
                  {{"basic", {{"realm", "b"}}}, {"bearer", {{"realm", "t"}, {"service", "s"}}}}},
        ValidCase{"TwoHeaderLinesJoined", R"(Bearer realm="t", Basic realm="b")",
                  {{"bearer", {{"realm", "t"}}}, {"basic", {{"realm", "b"}}}}},
        ValidCase{"SchemeOnlyThenChallenge", R"(Negotiate, Basic realm="b")", {{"negotiate", {}}, {"basic", {{"realm", "b"}}}}},
        ValidCase{"Token68", "Negotiate abc123+/==, Basic realm=b",
                  {{"negotiate", {}, "abc123+/=="}, {"basic", {{"realm", "b"}}}}},
        ValidCase{"Token68AtEnd", "Custom dG9rZW4=", {{"custom", {}, "dG9rZW4="}}},
        ValidCase{"EmptyListElements", ", ,Basic realm=b,, , Bearer realm=t,",
                  {{"basic", {{"realm", "b"}}}, {"bearer", {{"realm", "t"}}}}},
        ValidCase{"FirstDuplicateWins", R"(Bearer realm="first", realm="second")", {{"bearer", {{"realm", "first"}}}}},
        ValidCase{"ErrorParameter",
                  R"(Bearer realm="r",service="s",scope="repository:a:pull",error="insufficient_scope")",
                  {{"bearer",
                    {{"realm", "r"}, {"service", "s"}, {"scope", "repository:a:pull"}, {"error", "insufficient_scope"}}}}}),
    [](const ::testing::TestParamInfo<ValidCase>& info) { return info.param.name; });

struct InvalidCase {
  std::string name{};
  std::string header{};
  std::string message{};
};

class WwwAuthenticateRejectTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(WwwAuthenticateRejectTest, Rejects) {
  absl::StatusOr<std::vector<AuthChallenge>> challenges = ParseWwwAuthenticate(GetParam().header);
  ASSERT_FALSE(challenges.ok());
  EXPECT_EQ(challenges.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(challenges.status()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Headers, WwwAuthenticateRejectTest,
    ::testing::Values(InvalidCase{"Empty", "", "no challenge"}, InvalidCase{"OnlyCommas", " , ,", "no challenge"},
                      InvalidCase{"UnterminatedQuote", R"(Bearer realm="https://a)", "terminated quoted string"},
                      InvalidCase{"TrailingBackslash", R"(Bearer realm="a\)", "terminated quoted string"},
                      InvalidCase{"ControlCharacterInQuote", "Bearer realm=\"a\nb\"", "terminated quoted string"},
                      InvalidCase{"MissingValue", "Bearer service=s, realm=", "token or a terminated quoted string"},
                      InvalidCase{"NoSpaceAfterScheme", R"(Bearer"realm")", "space after the auth-scheme"},
                      InvalidCase{"GarbageBetweenParams", R"(Bearer realm="a" service="b")", "',' between parameters"},
                      InvalidCase{"NotAToken", "=realm", "auth-scheme"},
                      InvalidCase{"QuotedScheme", R"("Bearer" realm=a)", "auth-scheme"},
                      InvalidCase{"TooLong", "Bearer realm=" + std::string(kMaxChallengeHeaderLength, 'a'), "more than"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

TEST(FindChallengeTest, MatchesSchemeCaseInsensitively) {
  ASSERT_OK_AND_ASSIGN(std::vector<AuthChallenge> challenges,
                       ParseWwwAuthenticate(R"(Basic realm="b", Bearer realm="t")"));
  const AuthChallenge* bearer = FindChallenge(challenges, "Bearer");
  ASSERT_NE(bearer, nullptr);
  EXPECT_EQ(bearer->Param("REALM"), "t");
  EXPECT_EQ(bearer->Param("service"), "");
  EXPECT_EQ(FindChallenge(challenges, "digest"), nullptr);
}

}  // namespace
}  // namespace werf::oci
