#include "services/controller/tag_selection.h"

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
  EXPECT_EQ(ChooseTag(c.tags, Spec(c.constraint, c.filter)).tag, c.expected);
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
        Case{"empty", {}, "", "", std::nullopt}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace werf::controller
