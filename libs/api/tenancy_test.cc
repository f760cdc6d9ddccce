#include "libs/api/tenancy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::api {
namespace {

using ::testing::HasSubstr;

struct TargetCase {
  std::string name;
  TenancyPolicy policy;
  std::string bundle_namespace;
  std::string target_namespace;
  std::string service_account;
  std::map<std::string, std::string> annotations;
  bool allowed;
  std::string message;  // substring of the refusal
};

class TargetTest : public ::testing::TestWithParam<TargetCase> {};

TEST_P(TargetTest, Decides) {
  const TargetCase& c = GetParam();
  const absl::Status status =
      CheckTarget(c.policy, c.bundle_namespace, c.target_namespace, c.service_account, c.annotations);
  EXPECT_EQ(status.ok(), c.allowed) << status;
  if (!c.allowed) {
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

const TenancyPolicy kPolicy{.operator_namespace = "werf-operator-system"};
const TenancyPolicy kStrict{.operator_namespace = "werf-operator-system", .no_cross_namespace_refs = true};
const std::map<std::string, std::string> kGrant = {
    {kAcceptBundlesFromAnnotation, "team-a/deployer, team-c/*"}};

INSTANTIATE_TEST_SUITE_P(
    Tenancy, TargetTest,
    ::testing::Values(
        TargetCase{"OwnNamespace", kPolicy, "team-a", "team-a", "anyone", {}, true, ""},
        TargetCase{"OperatorNamespaceDeploysAnywhere", kPolicy, "werf-operator-system", "kube-system", "admin", {},
                   true, ""},
        TargetCase{"OtherNamespaceWithoutGrant", kPolicy, "team-a", "kube-system", "admin", {}, false,
                   "annotate Namespace \"kube-system\" with werf.io/accept-bundles-from=team-a/admin"},
        TargetCase{"GrantForTheServiceAccount", kPolicy, "team-a", "shop", "deployer", kGrant, true, ""},
        TargetCase{"GrantForAnyServiceAccount", kPolicy, "team-c", "shop", "root", kGrant, true, ""},
        TargetCase{"GrantNamesAnotherServiceAccount", kPolicy, "team-a", "shop", "admin", kGrant, false,
                   "only as ServiceAccount(s) deployer, not \"admin\""},
        TargetCase{"GrantForAnotherNamespace", kPolicy, "team-b", "shop", "deployer", kGrant, false,
                   "add team-b/deployer"},
        TargetCase{"StrictModeIgnoresGrants", kStrict, "team-a", "shop", "deployer", kGrant, false,
                   "--no_cross_namespace_refs"},
        TargetCase{"StrictModeKeepsAdministrators", kStrict, "werf-operator-system", "shop", "x", {}, true, ""},
        TargetCase{"NoOperatorNamespaceMeansNoException", TenancyPolicy{}, "werf-operator-system", "shop", "x", {},
                   false, "without a grant"}),
    [](const ::testing::TestParamInfo<TargetCase>& info) { return info.param.name; });

TEST(ImageTest, DefaultImageAlwaysAndOthersOnlyWhenListed) {
  const TenancyPolicy policy{.allowed_images = {"registry.werf.io/werf/werf:2-stable", "mirror.example.com/werf/*"}};
  EXPECT_TRUE(CheckImage(policy, "").ok());
  EXPECT_TRUE(CheckImage(policy, "registry.werf.io/werf/werf:2-stable").ok());
  EXPECT_TRUE(CheckImage(policy, "mirror.example.com/werf/werf:2.75.3").ok());
  const absl::Status refused = CheckImage(policy, "evil.example.com/miner:latest");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(), HasSubstr("spec.converge.image: \"evil.example.com/miner:latest\" is not allowed"));
  EXPECT_FALSE(CheckImage(TenancyPolicy{}, "registry.werf.io/werf/werf:2-stable").ok())
      << "an empty allow-list allows only the default (no spec.converge.image)";
}

TEST(SplitListTest, TrimsAndDropsEmpty) {
  EXPECT_THAT(SplitList(" a, b,,c "), ::testing::ElementsAre("a", "b", "c"));
}

}  // namespace
}  // namespace werf::api
