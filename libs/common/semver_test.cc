#include "libs/common/semver.h"

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::common {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// gMock's string matchers want std::string, and Debian's absl::string_view is
// not std::string_view.
std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

// Parses a version the test knows to be valid.
Version V(const std::string& text) {
  absl::StatusOr<Version> v = ParseVersion(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : Version(0, 0, 0);
}

// ---------------------------------------------------------------------------
// ParseVersion: accepted input.

struct ValidVersionCase {
  std::string text;
  uint64_t major;
  uint64_t minor;
  uint64_t patch;
  std::string prerelease;  // Identifiers joined by '.', as written.
  std::string build;       // Likewise.
};
void PrintTo(const ValidVersionCase& c, std::ostream* os) { *os << c.text; }

std::vector<std::string> Identifiers(const std::string& joined) {
  return absl::StrSplit(joined, '.', absl::SkipEmpty());
}

class ValidVersionTest : public testing::TestWithParam<ValidVersionCase> {};

TEST_P(ValidVersionTest, Parses) {
  const ValidVersionCase& c = GetParam();
  absl::StatusOr<Version> v = ParseVersion(c.text);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->major(), c.major);
  EXPECT_EQ(v->minor(), c.minor);
  EXPECT_EQ(v->patch(), c.patch);
  EXPECT_THAT(v->prerelease(), ElementsAreArray(Identifiers(c.prerelease)));
  EXPECT_THAT(v->build(), ElementsAreArray(Identifiers(c.build)));
  EXPECT_EQ(v->is_prerelease(), !c.prerelease.empty());
  EXPECT_EQ(v->text(), c.text);
  EXPECT_EQ(v->ToString(), absl::StripPrefix(c.text, "v"));
}

const ValidVersionCase kValidVersionCases[] = {
    {"1.2.3", 1, 2, 3, "", ""},
    {"0.0.0", 0, 0, 0, "", ""},
    {"v1.2.3", 1, 2, 3, "", ""},
    {"1.0.0-alpha.1", 1, 0, 0, "alpha.1", ""},
    {"1.0.0-0.3.7", 1, 0, 0, "0.3.7", ""},
    {"1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--", ""},
    {"1.0.0+20130313144700", 1, 0, 0, "", "20130313144700"},
    {"v1.0.0-beta+exp.sha.5114f85", 1, 0, 0, "beta", "exp.sha.5114f85"},
    // Build identifiers are never compared, so leading zeros are fine.
    {"1.0.0+001", 1, 0, 0, "", "001"},
    // A '-' after '+' belongs to the build metadata.
    {"1.0.0+build-7", 1, 0, 0, "", "build-7"},
    // Alphanumeric identifiers may start with zero.
    {"1.0.0-0alpha", 1, 0, 0, "0alpha", ""},
    {"18446744073709551615.0.0", 18446744073709551615u, 0, 0, "", ""},
};

INSTANTIATE_TEST_SUITE_P(Semver, ValidVersionTest,
                         testing::ValuesIn(kValidVersionCases));

// ---------------------------------------------------------------------------
// ParseVersion: rejected input. Every message must quote the input.

struct InvalidCase {
  std::string text;
  std::string detail;  // Expected somewhere in the message.
};
void PrintTo(const InvalidCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class InvalidVersionTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidVersionTest, IsRejectedWithQuotedInput) {
  const InvalidCase& c = GetParam();
  absl::StatusOr<Version> v = ParseVersion(c.text);
  ASSERT_FALSE(v.ok()) << "parsed as " << *v;
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(v.status()),
              StartsWith(absl::StrCat("invalid version \"",
                                      absl::CHexEscape(c.text), "\": ")));
  EXPECT_THAT(Message(v.status()), HasSubstr(c.detail));
}

const InvalidCase kInvalidVersionCases[] = {
    {"", "empty"},
    {"v", "nothing after \"v\""},
    {"1", "want MAJOR.MINOR.PATCH, got 1 part"},
    {"1.2", "want MAJOR.MINOR.PATCH, got 2 parts"},
    {"1.2.3.4", "got 4 parts"},
    {"01.2.3", "major version \"01\" has a leading zero"},
    {"1.02.3", "minor version \"02\" has a leading zero"},
    {"1.2.03", "patch version \"03\" has a leading zero"},
    {"1.2.3-01", "prerelease identifier \"01\" has a leading zero"},
    {"1.2.3-", "empty prerelease identifier"},
    {"1.2.3-alpha..1", "empty prerelease identifier"},
    {"1.2.3+", "empty build metadata identifier"},
    {"1.2.3-al_pha", "\"al_pha\" has a character outside"},
    {"1.2.3+a+b", "\"a+b\" has a character outside"},
    {"18446744073709551616.0.0", "overflows uint64"},
    {"1.99999999999999999999.0", "overflows uint64"},
    {"1.2.x", "patch version \"x\" is not a number"},
    {"1..3", "minor version is empty"},
    {"V1.2.3", "\"V1\" is not a number"},
    {"vv1.2.3", "\"v1\" is not a number"},
    {" 1.2.3", "\" 1\" is not a number"},
    {"1.2.3 ", "\"3 \" is not a number"},
    {"=1.2.3", "\"=1\" is not a number"},
};

INSTANTIATE_TEST_SUITE_P(Semver, InvalidVersionTest,
                         testing::ValuesIn(kInvalidVersionCases));

TEST(ParseVersionTest, EscapesControlCharactersInMessages) {
  absl::StatusOr<Version> v = ParseVersion("1.2.3\n");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(Message(v.status()), StartsWith("invalid version \"1.2.3\\n\""));
}

// ---------------------------------------------------------------------------
// Precedence.

// semver.org item 11's example, in increasing order.
const std::vector<std::string> kSemverOrgOrder = {
    "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
    "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
};

TEST(PrecedenceTest, SemverOrgExampleIsStrictlyIncreasing) {
  for (size_t i = 0; i < kSemverOrgOrder.size(); ++i) {
    for (size_t j = 0; j < kSemverOrgOrder.size(); ++j) {
      SCOPED_TRACE(
          absl::StrCat(kSemverOrgOrder[i], " vs ", kSemverOrgOrder[j]));
      const Version a = V(kSemverOrgOrder[i]);
      const Version b = V(kSemverOrgOrder[j]);
      const int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(Compare(a, b), want);
      EXPECT_EQ(a < b, i < j);
      EXPECT_EQ(a == b, i == j);
      EXPECT_EQ(a >= b, i >= j);
    }
  }
}

struct CompareCase {
  std::string a;
  std::string b;
  int want;
};
void PrintTo(const CompareCase& c, std::ostream* os) {
  *os << c.a << " vs " << c.b;
}

class CompareTest : public testing::TestWithParam<CompareCase> {};

TEST_P(CompareTest, ComparesBothWays) {
  const CompareCase& c = GetParam();
  EXPECT_EQ(Compare(V(c.a), V(c.b)), c.want);
  EXPECT_EQ(Compare(V(c.b), V(c.a)), -c.want);
}

const CompareCase kCompareCases[] = {
    {"1.0.0", "2.0.0", -1},
    {"2.0.0", "2.1.0", -1},
    {"2.1.0", "2.1.1", -1},
    {"1.10.0", "1.9.0", 1},
    {"1.2.3", "v1.2.3", 0},
    // Build metadata never affects precedence.
    {"1.0.0+a", "1.0.0+b", 0},
    {"1.0.0-rc.1+build.1", "1.0.0-rc.1", 0},
    // Numeric identifiers sort below alphanumeric ones ...
    {"1.0.0-1", "1.0.0-a", -1},
    {"1.0.0-999", "1.0.0-0a", -1},
    // ... numerically, whatever their length ...
    {"1.0.0-9", "1.0.0-10", -1},
    {"1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000", -1},
    // ... and alphanumerics in ASCII order.
    {"1.0.0-Beta", "1.0.0-alpha", -1},
    // "alpha-2" vs "alpha": a longer string beats its prefix.
    {"1.0.0-alpha-2", "1.0.0-alpha.2", 1},
    // A prerelease sorts below its release but above earlier releases.
    {"1.0.0-rc.1", "0.9.9", 1},
};

INSTANTIATE_TEST_SUITE_P(Semver, CompareTest, testing::ValuesIn(kCompareCases));

TEST(PrecedenceTest, OperatorsFollowCompare) {
  EXPECT_TRUE(V("1.0.0+a") == V("1.0.0+b"));
  EXPECT_TRUE(V("1.0.0-rc.1") != V("1.0.0"));
  EXPECT_TRUE(V("1.0.0-rc.1") < V("1.0.0"));
  EXPECT_TRUE(V("1.0.0-rc.1") <= V("1.0.0-rc.1"));
  EXPECT_TRUE(V("1.0.1") > V("1.0.0"));
  EXPECT_TRUE((V("1.0.0") <=> V("1.0.0+x")) == std::weak_ordering::equivalent);
}

TEST(VersionTest, StreamsOriginalText) {
  std::ostringstream os;
  os << V("v1.2.3+meta");
  EXPECT_EQ(os.str(), "v1.2.3+meta");
}

TEST(VersionTest, ConstructsRelease) {
  const Version v(1, 2, 3);
  EXPECT_EQ(v.text(), "1.2.3");
  EXPECT_FALSE(v.is_prerelease());
  EXPECT_EQ(v, V("1.2.3"));
}

// ---------------------------------------------------------------------------
// Constraint matching.

struct MatchCase {
  std::string constraint;
  std::string version;
  bool want;
};
void PrintTo(const MatchCase& c, std::ostream* os) {
  *os << '"' << c.constraint << "\" vs " << c.version;
}

class MatchTest : public testing::TestWithParam<MatchCase> {};

TEST_P(MatchTest, Matches) {
  const MatchCase& c = GetParam();
  absl::StatusOr<Constraint> constraint = ParseConstraint(c.constraint);
  ASSERT_TRUE(constraint.ok()) << constraint.status();
  EXPECT_EQ(constraint->Matches(V(c.version)), c.want)
      << c.constraint << " (" << constraint->ToString() << ") vs " << c.version;
}

const MatchCase kOperatorsMatchCases[] = {
    {"1.2.3", "1.2.3", true},
    {"=1.2.3", "1.2.3+build", true},
    {"=1.2.3", "1.2.4", false},
    {"v1.2.3", "1.2.3", true},
    {"!=1.2.3", "1.2.3", false},
    {"!=1.2.3", "1.2.4", true},
    {">1.2.3", "1.2.3", false},
    {">1.2.3", "1.2.4", true},
    {">=1.2.3", "1.2.3", true},
    {">=1.2.3", "1.2.2", false},
    {"<1.2.3", "1.2.3", false},
    {"<1.2.3", "1.2.2", true},
    {"<=1.2.3", "1.2.3", true},
    {"<=1.2.3", "1.2.4", false},
    {">= 1.2.3", "1.2.3", true},
    {">=\t1.2.3", "1.2.2", false},
    // Partial versions with operators.
    {">1.2", "1.2.9", false},
    {">1.2", "1.3.0", true},
    {">=1.2", "1.2.0", true},
    {"<1.2", "1.2.0", false},
    {"<1.2", "1.1.9", true},
    {"<=1.2", "1.2.99", true},
    {"<=1.2", "1.3.0", false},
};

INSTANTIATE_TEST_SUITE_P(Operators, MatchTest,
                         testing::ValuesIn(kOperatorsMatchCases));

const MatchCase kTildeCaretMatchCases[] = {
    {"~1.2.3", "1.2.3", true},  {"~1.2.3", "1.2.99", true},
    {"~1.2.3", "1.3.0", false}, {"~1.2.3", "1.2.2", false},
    {"~1.2", "1.2.0", true},    {"~1.2", "1.3.0", false},
    {"~1", "1.99.0", true},     {"~1", "2.0.0", false},
    {"~ 1.2", "1.2.5", true},   {"^1.2.3", "1.9.9", true},
    {"^1.2.3", "2.0.0", false}, {"^1.2.3", "1.2.2", false},
    {"^0.2.3", "0.2.9", true},  {"^0.2.3", "0.3.0", false},
    {"^0.0.3", "0.0.3", true},  {"^0.0.3", "0.0.4", false},
    {"^0.0", "0.0.9", true},    {"^0.0", "0.1.0", false},
    {"^0", "0.9.0", true},      {"^0", "1.0.0", false},
    {"^1.2", "1.9.0", true},    {"^1.2", "1.1.9", false},
};

INSTANTIATE_TEST_SUITE_P(TildeCaret, MatchTest,
                         testing::ValuesIn(kTildeCaretMatchCases));

const MatchCase kXRangeHyphenMatchCases[] = {
    {"*", "0.0.0", true},
    {"*", "99.0.0", true},
    {"x", "1.0.0", true},
    {"1.2.x", "1.2.7", true},
    {"1.2.x", "1.3.0", false},
    {"1.X", "1.9.9", true},
    {"1.X", "2.0.0", false},
    {"1.2.*", "1.2.0", true},
    {"1.2", "1.2.5", true},
    {"1.2", "1.20.0", false},
    {"1", "1.5.0", true},
    {"=1.2", "1.3.0", false},
    {"1.2 - 1.4.5", "1.2.0", true},
    {"1.2 - 1.4.5", "1.4.5", true},
    {"1.2 - 1.4.5", "1.4.6", false},
    {"1.2 - 1.4.5", "1.1.9", false},
    {"1.2.3 - 2.3", "2.3.9", true},
    {"1.2.3 - 2.3", "2.4.0", false},
    {"1.2.3 - 2.3", "1.2.2", false},
    {"1.2.3 - 2", "2.9.9", true},
    {"* - 2", "0.1.0", true},
    {"1.5 - *", "100.0.0", true},
};

INSTANTIATE_TEST_SUITE_P(XRangeHyphen, MatchTest,
                         testing::ValuesIn(kXRangeHyphenMatchCases));

const MatchCase kAndOrMatchCases[] = {
    {">=1.2, <2", "1.9.9", true},
    {">=1.2, <2", "2.0.0", false},
    {">=1.2 <2", "1.1.0", false},
    {">=1.2,<2", "1.5.0", true},
    {">=1.2 <2 !=1.5.0", "1.5.0", false},
    {"1.2 - 1.4, !=1.3.0", "1.3.0", false},
    {"1.2 - 1.4, !=1.3.0", "1.3.1", true},
    {"~1.2 || ^3", "1.2.9", true},
    {"~1.2 || ^3", "3.7.0", true},
    {"~1.2 || ^3", "2.0.0", false},
    {"<1 || >=2, <3 || 5.x", "2.5.0", true},
    {"<1 || >=2, <3 || 5.x", "4.0.0", false},
    {"<1 || >=2, <3 || 5.x", "5.1.0", true},
};

INSTANTIATE_TEST_SUITE_P(AndOr, MatchTest, testing::ValuesIn(kAndOrMatchCases));

const MatchCase kPrereleaseMatchCases[] = {
    // Opted in for 1.2.3 only.
    {">=1.2.3-alpha.1", "1.2.3-alpha.7", true},
    {">=1.2.3-alpha.1", "1.2.3-alpha.0", false},
    {">=1.2.3-alpha.1", "3.4.5-alpha.9", false},
    {">=1.2.3-alpha.1", "3.4.5", true},
    {"*", "1.5.0-rc.1", false},
    {"^1.0.0", "1.5.0-rc.1", false},
    {"^1.2.3-beta.2", "1.2.3-beta.4", true},
    {"^1.2.3-beta.2", "1.2.4-beta.1", false},
    {"~1.2.3-beta.2", "1.2.3-rc.1", true},
    {"=1.0.0-rc.1", "1.0.0-rc.1", true},
    {"<1.0.0", "1.0.0-rc.1", false},
    {"<1.0.0-rc.2", "1.0.0-rc.1", true},
    {"!=1.2.3", "1.2.4-beta", false},
    // The opt-in must sit in the same AND-set.
    {">=1.2.3-alpha <1.3 || >=2", "1.2.3-beta", true},
    {">=1.2.3 <1.3 || >=1.2.3-alpha, <1.2.3", "1.2.3-beta", true},
    {">=1.0.0 || <=1.2.3-alpha", "1.2.3-beta", false},
    // No upper bound leaks prereleases of the next release.
    {"^1.2.3-beta", "2.0.0-alpha", false},
};

INSTANTIATE_TEST_SUITE_P(Prerelease, MatchTest,
                         testing::ValuesIn(kPrereleaseMatchCases));

// ---------------------------------------------------------------------------
// What each constraint expands to.

struct ExpandCase {
  std::string constraint;
  std::string expanded;
};
void PrintTo(const ExpandCase& c, std::ostream* os) {
  *os << '"' << c.constraint << '"';
}

class ExpandTest : public testing::TestWithParam<ExpandCase> {};

TEST_P(ExpandTest, Expands) {
  const ExpandCase& c = GetParam();
  absl::StatusOr<Constraint> constraint = ParseConstraint(c.constraint);
  ASSERT_TRUE(constraint.ok()) << constraint.status();
  EXPECT_EQ(constraint->ToString(), c.expanded);
}

const ExpandCase kExpandCases[] = {
    {"1.2.3", "=1.2.3"},
    {"*", ">=0.0.0"},
    {"~1.2.3", ">=1.2.3 <1.3.0"},
    {"~1.2", ">=1.2.0 <1.3.0"},
    {"~1", ">=1.0.0 <2.0.0"},
    {"~1.x", ">=1.0.0 <2.0.0"},
    {"^1.2.3", ">=1.2.3 <2.0.0"},
    {"^0.2.3", ">=0.2.3 <0.3.0"},
    {"^0.0.3", ">=0.0.3 <0.0.4"},
    {"^0.0", ">=0.0.0 <0.1.0"},
    {"^0.0.x", ">=0.0.0 <0.1.0"},
    {"^0.1", ">=0.1.0 <0.2.0"},
    {"^*", ">=0.0.0"},
    {"1.2.x", ">=1.2.0 <1.3.0"},
    {">1", ">=2.0.0"},
    {"<=1.2", "<1.3.0"},
    {"<=*", ">=0.0.0"},
    {">=v1.2.3-rc.1", ">=1.2.3-rc.1"},
    {"1.2 - 1.4.5", ">=1.2.0 <=1.4.5"},
    {"1.2.3 - 2.3", ">=1.2.3 <2.4.0"},
    {"  >=1.2 , <2 || 3  ", ">=1.2.0 <2.0.0 || >=3.0.0 <4.0.0"},
};

INSTANTIATE_TEST_SUITE_P(Semver, ExpandTest, testing::ValuesIn(kExpandCases));

TEST(ConstraintTest, KeepsTrimmedText) {
  absl::StatusOr<Constraint> c = ParseConstraint("  ~1.2 \n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->text(), "~1.2");
  std::ostringstream os;
  os << *c;
  EXPECT_EQ(os.str(), "~1.2");
}

// ---------------------------------------------------------------------------
// Rejected constraints. Every message must quote the input.

class InvalidConstraintTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidConstraintTest, IsRejectedWithQuotedInput) {
  const InvalidCase& c = GetParam();
  absl::StatusOr<Constraint> constraint = ParseConstraint(c.text);
  ASSERT_FALSE(constraint.ok()) << "parsed as " << constraint->ToString();
  EXPECT_EQ(constraint.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(constraint.status()),
              StartsWith(absl::StrCat("invalid version constraint \"",
                                      absl::CHexEscape(c.text), "\": ")));
  EXPECT_THAT(Message(constraint.status()), HasSubstr(c.detail));
}

const InvalidCase kInvalidConstraintCases[] = {
    {"", "empty constraint"},
    {"   ", "empty constraint"},
    {">=1.2.3.4", "\"1.2.3.4\" has 4 dot-separated parts"},
    {">=01.2", "major version \"01\" has a leading zero"},
    {"~1.02", "minor version \"02\" has a leading zero"},
    {"^1.2.3-01", "prerelease identifier \"01\" has a leading zero"},
    {"1.x.3", "number \"3\" follows a wildcard"},
    {"1.2-beta", "needs a full MAJOR.MINOR.PATCH version"},
    {"!=1.2", "\"!=\" needs a full MAJOR.MINOR.PATCH version, got \"1.2\""},
    {">*", "\">\" with wildcard \"*\" matches no version"},
    {"<x", "matches no version"},
    {">=", "operator \">=\" has no version"},
    {">=1.2,", "empty comparator"},
    {">=1.2,,<2", "empty comparator"},
    {">= , 1.2", "operator \">=\" has no version"},
    {"1.2 ||", "empty alternative"},
    {"|| 1.2", "empty alternative"},
    {"1.2 - ", "has no upper bound"},
    {"- 1.2", "\"-\" must stand between two versions"},
    {">=1.2 - 2", "hyphen range bound \">=1.2\" takes no operator"},
    {"1.2 - <2", "hyphen range bound \"<2\" takes no operator"},
    {"==1.2.3", "\"=1\" is not a number"},
    {">=1.2<2", "is not a number"},
    {"~>1.2", "is not a number"},
    {"vx", "\"v\" must precede a number"},
    {"1.2 | 1.3", "is not a number"},
    {"~18446744073709551615", "cannot be incremented"},
    {"abc", "major version \"abc\" is not a number"},
};

INSTANTIATE_TEST_SUITE_P(Semver, InvalidConstraintTest,
                         testing::ValuesIn(kInvalidConstraintCases));

}  // namespace
}  // namespace werf::common
