#include "libs/common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace werf::common {
namespace {

struct Case {
  const char* name;
  std::string text;
  size_t max_bytes;
  std::string prefix;
  std::string suffix;
};

class Utf8Test : public ::testing::TestWithParam<Case> {};

TEST_P(Utf8Test, CutsOnCharacterBoundaries) {
  const Case& c = GetParam();
  EXPECT_EQ(Utf8Prefix(c.text, c.max_bytes), c.prefix);
  EXPECT_EQ(Utf8Suffix(c.text, c.max_bytes), c.suffix);
}

// "é" is 2 bytes (C3 A9), "€" 3 (E2 82 AC), "𝄞" 4 (F0 9D 84 9E).
INSTANTIATE_TEST_SUITE_P(
    Cases, Utf8Test,
    ::testing::Values(Case{"FitsWhole", "abc", 3, "abc", "abc"},
                      Case{"AsciiIsCutAnywhere", "abcdef", 4, "abcd", "cdef"},
                      Case{"TwoByteCharacterIsNotSplit", "a\xc3\xa9" "b", 2, "a", "b"},
                      Case{"ThreeByteCharacter", "\xe2\x82\xac\xe2\x82\xac", 4, "\xe2\x82\xac", "\xe2\x82\xac"},
                      Case{"FourByteCharacterWhole", "x\xf0\x9d\x84\x9ey", 5, "x\xf0\x9d\x84\x9e", "\xf0\x9d\x84\x9ey"},
                      Case{"NothingFits", "\xf0\x9d\x84\x9e", 3, "", ""},
                      Case{"ZeroBudget", "abc", 0, "", ""}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace werf::common
