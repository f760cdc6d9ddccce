#include "services/controller/tag_set.h"

#include "gtest/gtest.h"

namespace werf::controller {
namespace {

BundleSpec Spec(const std::string& constraint, const std::string& filter = "") {
  nlohmann::json bundle = {
      {"metadata", {{"namespace", "ns"}, {"name", "b"}}},
      {"spec",
       {{"registry", {{"url", "r.example.com/app"}}},
        {"converge", {{"serviceAccountName", "sa"}}}}}};
  if (!constraint.empty()) bundle["spec"]["registry"]["versionConstraint"] = constraint;
  if (!filter.empty()) bundle["spec"]["registry"]["tagFilter"] = filter;
  return *ParseBundleSpec(bundle);
}

struct Case {
  std::string name;
  std::vector<std::string> tags;
  std::string constraint;
  std::string filter;
  std::optional<std::string> expected;
};

class ChooseTagTest : public ::testing::TestWithParam<Case> {};

TEST_P(ChooseTagTest, PicksHighestMatching) {
  const Case& c = GetParam();
  EXPECT_EQ(TagSet(c.tags).Choose(Spec(c.constraint, c.filter)).tag, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ChooseTagTest,
    ::testing::Values(
        Case{"semver_not_lexical", {"1.9.0", "1.10.0", "1.2.0"}, "", "", "1.10.0"},
        Case{"constraint_excludes_newer", {"1.4.0", "2.0.0", "1.5.1"}, "<2", "", "1.5.1"},
        Case{"prerelease_skipped_by_default", {"1.0.0", "1.1.0-rc.1"}, "", "", "1.0.0"},
        Case{"prerelease_when_asked", {"1.0.0", "1.1.0-rc.1"}, ">=1.1.0-rc.0", "", "1.1.0-rc.1"},
        Case{"v_prefix", {"v1.0.0", "v1.2.0", "latest"}, "^1", "", "v1.2.0"},
        Case{"non_semver_ignored", {"latest", "main", "sha-abc"}, "", "", std::nullopt},
        Case{"filter_first", {"1.0.0", "2.0.0-hotfix", "1.5.0"}, "", "^1\\.", "1.5.0"},
        Case{"nothing_matches", {"0.1.0", "0.2.0"}, ">=1.0", "", std::nullopt},
        Case{"tilde", {"1.4.0", "1.4.9", "1.5.0"}, "~1.4", "", "1.4.9"},
        Case{"or", {"1.9.0", "2.5.0", "3.0.0"}, "1.x || 2.x", "", "2.5.0"},
        Case{"equal_precedence_first_listed", {"v1.2.3", "1.2.3+build.1", "1.2.3"}, "", "", "v1.2.3"},
        Case{"equal_precedence_filter_picks_later", {"v1.2.3", "1.2.3+build.1"}, "", "build", "1.2.3+build.1"},
        Case{"empty", {}, "", "", std::nullopt}),
    [](const auto& info) { return info.param.name; });

TEST(TagSetTest, KeepsEveryTagInListedOrder) {
  const std::vector<std::string> tags = {"latest", "1.10.0", "", "1.9.0", "main"};
  const TagSet set(tags);
  ASSERT_EQ(set.size(), tags.size());
  for (size_t i = 0; i < tags.size(); ++i) EXPECT_EQ(set.tag(i), tags[i]) << i;
  EXPECT_TRUE(set.Equals(tags));
  EXPECT_FALSE(set.Equals({"latest", "1.10.0", "", "1.9.0"}));
  EXPECT_FALSE(set.Equals({"latest", "1.10.0", "", "1.9.0", "mainx"}));
  EXPECT_FALSE(set.Equals({"1.10.0", "latest", "", "1.9.0", "main"}));
}

TEST(TagSetTest, CountsTheSemverTagsTheFilterLetsThrough) {
  const TagSet set({"1.0.0", "2.0.0", "latest", "2.1.0-rc.1", "3.0.0-hotfix"});
  EXPECT_EQ(set.Choose(Spec("")).considered, 4);
  EXPECT_EQ(set.Choose(Spec(">=9")).considered, 4);
  EXPECT_EQ(set.Choose(Spec("", "^2\\.")).considered, 2);
  EXPECT_EQ(set.Choose(Spec("", "^2\\.")).tag, "2.0.0");
  EXPECT_EQ(set.Choose(Spec(">=9", "^2\\.")).considered, 2);
}

// The selection is cached per (tag filter, constraint): bundles sharing a
// repository and a constraint cost one evaluation per tag-list change.
TEST(TagSetTest, ComputesEachFilterAndConstraintOnce) {
  const TagSet set({"1.0.0", "1.5.0", "2.0.0"});
  for (int bundle = 0; bundle < 10; ++bundle) EXPECT_EQ(set.Choose(Spec("^1")).tag, "1.5.0");
  EXPECT_EQ(set.choices_computed(), 1);
  EXPECT_EQ(set.Choose(Spec("")).tag, "2.0.0");
  EXPECT_EQ(set.Choose(Spec("", "^1")).tag, "1.5.0");
  EXPECT_EQ(set.choices_computed(), 3);
  EXPECT_EQ(set.Choose(Spec("^1")).tag, "1.5.0");
  EXPECT_EQ(set.choices_computed(), 3);
}

TEST(TagSetTest, ManyDistinctConstraintsStayCorrectPastTheCacheBound) {
  std::vector<std::string> tags;
  for (int minor = 0; minor < 200; ++minor) tags.push_back("1." + std::to_string(minor) + ".0");
  const TagSet set(tags);
  for (int round = 0; round < 2; ++round) {
    for (int minor = 0; minor < 200; ++minor) {
      const std::string want = "1." + std::to_string(minor) + ".0";
      EXPECT_EQ(set.Choose(Spec("<=" + want)).tag, want);
    }
  }
}

}  // namespace
}  // namespace werf::controller
