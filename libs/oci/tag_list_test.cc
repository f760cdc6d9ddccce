// ParseTagListPage: the tags of a page, within the room given, without a tag that could
// not be a tag, and DataLoss naming what is wrong with a page that is no tag list.
#include "libs/oci/tag_list.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::oci {
namespace {

using status_testing::Message;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::StartsWith;

struct PageCase {
  std::string name;
  std::string json;
  size_t room;
  std::vector<std::string> tags;
  size_t invalid_tags;
  bool over_cap;
};

class TagListPageTest : public ::testing::TestWithParam<PageCase> {};

TEST_P(TagListPageTest, Parses) {
  const PageCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(const TagListPage page, ParseTagListPage(c.json, c.room));
  EXPECT_THAT(page.tags, ElementsAreArray(c.tags));
  EXPECT_EQ(page.invalid_tags, c.invalid_tags);
  EXPECT_EQ(page.over_cap, c.over_cap);
}

INSTANTIATE_TEST_SUITE_P(
    Pages, TagListPageTest,
    ::testing::Values(
        PageCase{"Tags", R"({"name":"team/app","tags":["v1","v2","latest"]})", 10, {"v1", "v2", "latest"}, 0, false},
        PageCase{"NullTags", R"({"name":"team/app","tags":null})", 10, {}, 0, false},
        PageCase{"NoTags", R"({"name":"team/app"})", 10, {}, 0, false},
        PageCase{"EmptyTags", R"({"tags":[]})", 0, {}, 0, false},
        PageCase{"InvalidTagsSkippedAndCounted",
                 absl::StrCat(R"({"tags":["v1","-bad",".bad","","a b","a/b","_ok","a.B-9_","x)", std::string(128, 'x'),
                              R"(","x)", std::string(127, 'x'), R"("]})"),
                 10, {"v1", "_ok", "a.B-9_", "x" + std::string(127, 'x')}, 6, false},
        PageCase{"ExactlyTheRoom", R"({"tags":["a","b","c"]})", 3, {"a", "b", "c"}, 0, false},
        PageCase{"OverTheRoom", R"({"tags":["a","b","c"]})", 2, {"a", "b"}, 0, true},
        PageCase{"InvalidTagsTakeNoRoom", R"({"tags":["a","-x","b"]})", 2, {"a", "b"}, 1, false},
        // Parsing stops at the cap: what follows, even if malformed, is never read.
        PageCase{"StopsAtTheCap", R"({"tags":["a","b"] trailing garbage)", 1, {"a"}, 0, true},
        PageCase{"OnlyTheFirstTagsArray", R"({"tags":["a"],"tags":["b"]})", 10, {"a"}, 0, false},
        PageCase{"NestedTagsIgnored", R"({"meta":{"tags":["x"]},"tags":["v1"]})", 10, {"v1"}, 0, false},
        PageCase{"NestedValuesInTagsIgnored", R"({"tags":[["x"],{"tag":"y"},"v1"]})", 10, {"v1"}, 0, false},
        PageCase{"OtherFieldsSkipped", R"({"name":"a","n":1,"f":1.5,"b":true,"z":null,"o":{"k":[1]},"tags":["v1"]})",
                 10, {"v1"}, 0, false}),
    [](const ::testing::TestParamInfo<PageCase>& info) { return info.param.name; });

struct BadPageCase {
  std::string name;
  std::string json;
  std::string message;  // how the error starts
};

class BadTagListPageTest : public ::testing::TestWithParam<BadPageCase> {};

TEST_P(BadTagListPageTest, IsDataLossSayingWhy) {
  const absl::StatusOr<TagListPage> page = ParseTagListPage(GetParam().json, 100);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kDataLoss) << page.status();
  EXPECT_THAT(Message(page.status()), StartsWith(GetParam().message));
}

std::string Nested(int depth) {
  return absl::StrCat(R"({"a":)", std::string(depth, '['), std::string(depth, ']'), "}");
}

INSTANTIATE_TEST_SUITE_P(
    Pages, BadTagListPageTest,
    ::testing::Values(
        BadPageCase{"NotJson", "<html>502</html>", "tag list response is not valid JSON at byte 1"},
        BadPageCase{"Empty", "", "tag list response is not valid JSON at byte"},
        BadPageCase{"Truncated", R"({"tags":["v1")", "tag list response is not valid JSON at byte"},
        BadPageCase{"Array", R"(["v1"])", "tag list response is not a JSON object"},
        BadPageCase{"String", R"("v1")", "tag list response is not a JSON object"},
        BadPageCase{"TagsAString", R"({"tags":"v1"})", "tag list response is \"tags\" is neither an array nor null"},
        BadPageCase{"TagsAnObject", R"({"tags":{"v1":1}})",
                    "tag list response is \"tags\" is neither an array nor null"},
        BadPageCase{"TooDeep", Nested(64), "tag list response is nested deeper than 64 levels"}),
    [](const ::testing::TestParamInfo<BadPageCase>& info) { return info.param.name; });

TEST(TagListPageDepthTest, SixtyFourLevelsAreFine) {
  // The top object is one level: 63 arrays inside it make 64.
  ASSERT_OK_AND_ASSIGN(const TagListPage page,
                       ParseTagListPage(absl::StrCat(R"({"a":)", std::string(63, '['), std::string(63, ']'), "}"), 1));
  EXPECT_THAT(page.tags, IsEmpty());
}

TEST(TagListPageTest, KeepsNoTagWithoutRoom) {
  ASSERT_OK_AND_ASSIGN(const TagListPage page, ParseTagListPage(R"({"tags":["v1"]})", 0));
  EXPECT_THAT(page.tags, IsEmpty());
  EXPECT_TRUE(page.over_cap);
}

TEST(TagListPageTest, ATagIsKeptVerbatim) {
  ASSERT_OK_AND_ASSIGN(const TagListPage page, ParseTagListPage(R"({"tags":["V1.2.3-RC_1"]})", 1));
  EXPECT_THAT(page.tags, ElementsAre("V1.2.3-RC_1"));
}

}  // namespace
}  // namespace werf::oci
