#include "libs/kube/object_transforms.h"

#include "gtest/gtest.h"

namespace werf::kube {
namespace {

using nlohmann::json;

json Bundle() {
  return {{"metadata",
           {{"name", "shop"},
            {"namespace", "team-a"},
            {"uid", "u-1"},
            {"resourceVersion", "7"},
            {"labels", {{"team", "a"}}},
            {"managedFields", json::array({{{"manager", "kubectl"}}})},
            {"annotations",
             {{"kubectl.kubernetes.io/last-applied-configuration", "{\"spec\":{}}"},
              {"werf.io/reconcile-requested-at", "1"}}}}},
          {"spec", {{"registry", {{"url", "r.example.com/app"}}}}},
          {"status", {{"phase", "Synced"}}}};
}

TEST(ObjectTransformsTest, DropManagedFieldsKeepsEverythingElse) {
  json expected = Bundle();
  expected["metadata"].erase("managedFields");
  EXPECT_EQ(DropManagedFields(Bundle()), expected);
}

TEST(ObjectTransformsTest, DropApplyBookkeepingKeepsOtherAnnotations) {
  const json kept = DropApplyBookkeeping(Bundle());
  EXPECT_FALSE(kept["metadata"].contains("managedFields"));
  EXPECT_EQ(kept["metadata"]["annotations"], json({{"werf.io/reconcile-requested-at", "1"}}));
  EXPECT_EQ(kept["spec"], Bundle()["spec"]);
  EXPECT_EQ(kept["status"], Bundle()["status"]);
  EXPECT_EQ(kept["metadata"]["labels"], Bundle()["metadata"]["labels"]);

  json only_applied = Bundle();
  only_applied["metadata"]["annotations"].erase("werf.io/reconcile-requested-at");
  EXPECT_FALSE(DropApplyBookkeeping(only_applied)["metadata"].contains("annotations"));
}

TEST(ObjectTransformsTest, IdentityOnlyKeepsWhatARelistNeeds) {
  EXPECT_EQ(IdentityOnly(Bundle()),
            json({{"metadata", {{"name", "shop"}, {"namespace", "team-a"}, {"uid", "u-1"}, {"resourceVersion", "7"}}}}));
}

TEST(ObjectTransformsTest, MalformedObjectsPassWithoutThrowing) {
  for (const json& odd : {json(), json::array({1}), json("text"), json({{"metadata", 3}}),
                          json({{"metadata", {{"annotations", "x"}}}})}) {
    EXPECT_EQ(DropManagedFields(odd), odd) << odd.dump();
    EXPECT_EQ(DropApplyBookkeeping(odd), odd) << odd.dump();
    EXPECT_NO_THROW(IdentityOnly(odd)) << odd.dump();
  }
}

}  // namespace
}  // namespace werf::kube
