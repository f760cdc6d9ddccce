#include "libs/oci/link_header.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::oci {
namespace {

using ::testing::HasSubstr;
using ::werf::status_testing::Message;

struct NextCase {
  std::string name{};
  std::string header{};
  std::optional<std::string> next{};
};

class FindNextLinkTest : public ::testing::TestWithParam<NextCase> {};

TEST_P(FindNextLinkTest, FindsTheNextTarget) {
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> next, FindNextLink(GetParam().header));
  EXPECT_EQ(next, GetParam().next);
}

INSTANTIATE_TEST_SUITE_P(
    Headers, FindNextLinkTest,
    ::testing::Values(
        NextCase{"Distribution", R"(</v2/team/app/tags/list?last=v1.9&n=1000>; rel="next")",
                 "/v2/team/app/tags/list?last=v1.9&n=1000"},
        NextCase{"Absolute", R"(<https://r.example.com/v2/app/tags/list?last=x>; rel="next")",
                 "https://r.example.com/v2/app/tags/list?last=x"},
        NextCase{"UnquotedRel", "</next>;rel=next", "/next"},
        NextCase{"UppercaseRel", R"(</next>; REL="NEXT")", "/next"},
        NextCase{"SeveralRelations", R"(</next>; rel="prefetch next")", "/next"},
        NextCase{"SecondLink", R"(</prev>; rel="prev", </next>; rel="next")", "/next"},
        NextCase{"CommaInTarget", R"(</v2/a/tags/list?last=a,b>; rel="next")", "/v2/a/tags/list?last=a,b"},
        NextCase{"OtherParams", R"(</next>; type="application/json"; title="a;b,c"; rel="next")", "/next"},
        NextCase{"ParamWithoutValue", "</next>; crossorigin; rel=next", "/next"},
        NextCase{"FirstRelWins", R"(</x>; rel="prev"; rel="next")", std::nullopt},
        NextCase{"NoNext", R"(</first>; rel="first")", std::nullopt},
        NextCase{"Empty", "", std::nullopt},
        NextCase{"WhitespaceEverywhere", " \t</next> \t; \trel \t= \t\"next\" \t, ", "/next"}),
    [](const ::testing::TestParamInfo<NextCase>& info) { return info.param.name; });

struct InvalidCase {
  std::string name{};
  std::string header{};
  std::string message{};
};

class LinkHeaderRejectTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(LinkHeaderRejectTest, Rejects) {
  absl::StatusOr<std::vector<LinkValue>> links = ParseLinkHeader(GetParam().header);
  ASSERT_FALSE(links.ok());
  EXPECT_EQ(links.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(links.status()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Headers, LinkHeaderRejectTest,
    ::testing::Values(InvalidCase{"NoAngleBrackets", "/next; rel=next", "'<'"},
                      InvalidCase{"Unclosed", "</next; rel=next", "'>'"},
                      InvalidCase{"SpaceInTarget", "</a b>; rel=next", "without spaces"},
                      InvalidCase{"NestedBracket", "<</a>; rel=next", "without spaces"},
                      InvalidCase{"UnterminatedQuote", R"(</a>; rel="next)", "terminated quoted string"},
                      InvalidCase{"MissingParamName", "</a>; =next", "parameter name"},
                      InvalidCase{"EmptyValue", "</a>; rel=; x=y", "token or a terminated"},
                      InvalidCase{"GarbageAfterLink", "</a> junk", "';' or ','"},
                      InvalidCase{"TooLong", "<" + std::string(kMaxLinkHeaderLength, 'a') + ">", "more than"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

TEST(ParseLinkHeaderTest, KeepsAllLinksAndParameters) {
  ASSERT_OK_AND_ASSIGN(std::vector<LinkValue> links,
                       ParseLinkHeader(R"(</a>; rel="next"; Type=text, <https://x/b>; rel=prev; anchor="#c")"));
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].target, "/a");
  EXPECT_EQ(links[0].params, (std::map<std::string, std::string, std::less<>>{{"rel", "next"}, {"type", "text"}}));
  EXPECT_TRUE(links[0].HasRel("next"));
  EXPECT_FALSE(links[0].HasRel("prev"));
  EXPECT_EQ(links[1].target, "https://x/b");
  EXPECT_TRUE(links[1].HasRel("prev"));
  EXPECT_EQ(links[1].params.at("anchor"), "#c");
}

}  // namespace
}  // namespace werf::oci
