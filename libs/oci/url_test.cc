#include "libs/oci/url.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::oci {
namespace {

TEST(QueryEscapeTest, KeepsOnlyUnreserved) {
  EXPECT_EQ(QueryEscape("repository:team/app:pull"), "repository%3Ateam%2Fapp%3Apull");
  EXPECT_EQ(QueryEscape("a-b.c_d~e"), "a-b.c_d~e");
  EXPECT_EQ(QueryEscape("a b+c&d=e"), "a%20b%2Bc%26d%3De");
  EXPECT_EQ(QueryEscape("\xff"), "%FF");
}

TEST(ParseUrlTest, SplitsAndNormalizes) {
  ASSERT_OK_AND_ASSIGN(ParsedUrl url, ParseUrl("HTTPS://Registry.Example.com:443/v2/app/tags/list?n=10#frag"));
  EXPECT_EQ(url.scheme, "https");
  EXPECT_EQ(url.authority, "registry.example.com:443");
  EXPECT_EQ(url.path, "/v2/app/tags/list");
  EXPECT_EQ(url.query, "n=10");
  EXPECT_EQ(url.Origin(), "https://registry.example.com");
  ASSERT_OK_AND_ASSIGN(ParsedUrl bare, ParseUrl("http://127.0.0.1:5000"));
  EXPECT_EQ(bare.path, "/");
  EXPECT_EQ(bare.Origin(), "http://127.0.0.1:5000");
  EXPECT_FALSE(ParseUrl("ftp://host/x").ok());
  EXPECT_FALSE(ParseUrl("/v2/").ok());
  EXPECT_FALSE(ParseUrl("https:///path").ok());
  EXPECT_FALSE(ParseUrl("https://user:secret@host/").ok());
  EXPECT_FALSE(ParseUrl("https://host/a b").ok());
}

struct ResolveCase {
  std::string base{};
  std::string reference{};
  std::string expected{};
};

class ResolveUrlTest : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveUrlTest, Resolves) {
  ASSERT_OK_AND_ASSIGN(std::string resolved, ResolveUrl(GetParam().base, GetParam().reference));
  EXPECT_EQ(resolved, GetParam().expected);
}

constexpr char kBase[] = "https://r.example.com/v2/team/app/tags/list?n=100";

INSTANTIATE_TEST_SUITE_P(
    Rfc3986, ResolveUrlTest,
    ::testing::Values(
        // What registries send.
        ResolveCase{kBase, "/v2/team/app/tags/list?last=b&n=100", "https://r.example.com/v2/team/app/tags/list?last=b&n=100"},
        ResolveCase{kBase, "https://other.example.com/v2/x?last=b", "https://other.example.com/v2/x?last=b"},
        ResolveCase{kBase, "//cdn.example.com/page?x=1", "https://cdn.example.com/page?x=1"},
        ResolveCase{kBase, "?last=b", "https://r.example.com/v2/team/app/tags/list?last=b"},
        ResolveCase{kBase, "list?last=b", "https://r.example.com/v2/team/app/tags/list?last=b"},
        ResolveCase{kBase, "../other", "https://r.example.com/v2/team/app/other"},
        ResolveCase{kBase, "./../../x/./y", "https://r.example.com/v2/team/x/y"},
        ResolveCase{kBase, "/a/../../b", "https://r.example.com/b"},
        ResolveCase{kBase, "", "https://r.example.com/v2/team/app/tags/list?n=100"},
        ResolveCase{kBase, "#frag", "https://r.example.com/v2/team/app/tags/list?n=100"},
        ResolveCase{"http://h:5000", "v2/x", "http://h:5000/v2/x"},
        ResolveCase{kBase, "HTTP://Other:80/x", "http://other:80/x"}));

TEST(ResolveUrlTest, RejectsWhatCannotBeFollowed) {
  EXPECT_FALSE(ResolveUrl(kBase, "javascript:alert(1)").ok());
  EXPECT_FALSE(ResolveUrl(kBase, "file:///etc/passwd").ok());
  EXPECT_FALSE(ResolveUrl(kBase, "/a b").ok());
  EXPECT_FALSE(ResolveUrl(kBase, "https://user:pw@evil/").ok());
  EXPECT_FALSE(ResolveUrl("relative/base", "/x").ok());
}

}  // namespace
}  // namespace werf::oci
