// The informer transforms of the reference cache (the cache itself is exercised
// against the test bed's API server by the e2e suite).
#include "services/controller/reference_cache.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::controller {
namespace {

using Json = nlohmann::json;

TEST(ReferenceCacheTest, HashValuesKeepsNoValueAndCoversBinaryData) {
  const Json secret = {{"metadata", {{"name", "vals"}, {"namespace", "apps"}, {"resourceVersion", "7"},
                                     {"managedFields", Json::array({{{"manager", "kubectl"}}})}}},
                       {"data", {{"values.yaml", "c2VjcmV0OiBodW50ZXIy"}}},
                       {"binaryData", {{"blob", "AAEC"}}}};
  const Json kept = HashValues(secret);
  const std::string dumped = kept.dump();
  EXPECT_EQ(dumped.find("c2VjcmV0OiBodW50ZXIy"), std::string::npos);
  EXPECT_EQ(dumped.find("AAEC"), std::string::npos);
  EXPECT_EQ(dumped.find("managedFields"), std::string::npos);
  EXPECT_EQ(kept["metadata"]["name"], "vals");
  EXPECT_EQ(kept["metadata"]["namespace"], "apps");
  ASSERT_TRUE(kept["hashes"].contains("values.yaml"));
  ASSERT_TRUE(kept["hashes"].contains("blob"));
  Json changed = secret;
  changed["binaryData"]["blob"] = "AAED";
  EXPECT_NE(HashValues(changed)["hashes"]["blob"], kept["hashes"]["blob"]) << "binaryData changes count";
  EXPECT_EQ(HashValues(changed)["hashes"]["values.yaml"], kept["hashes"]["values.yaml"]);
}

TEST(ReferenceCacheTest, KeepMetadataKeepsGrantsButNotTheBody) {
  const Json ns = {{"metadata", {{"name", "shop"}, {"uid", "u"}, {"annotations", {{"a", "b"}}}}},
                   {"spec", {{"finalizers", Json::array({"kubernetes"})}}}};
  const Json kept = KeepMetadata(ns);
  EXPECT_EQ(kept, Json({{"metadata", {{"name", "shop"}, {"uid", "u"}, {"annotations", {{"a", "b"}}}}}}));
}

TEST(ReferenceCacheTest, ReferencesOfNamesEveryObjectTheSpecUses) {
  const Json bundle = {{"metadata", {{"namespace", "apps"}, {"name", "web"}}},
                       {"spec",
                        {{"registry", {{"url", "r.example.com/web"}, {"secretRef", {{"name", "pull"}}}}},
                         {"converge",
                          {{"serviceAccountName", "deployer"},
                           {"valuesFrom", Json::array({{{"configMapRef", {{"name", "cm"}}}},
                                                       {{"secretRef", {{"name", "s"}}}}})}}}}}};
  absl::StatusOr<BundleSpec> spec = ParseBundleSpec(bundle);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(ReferencesOf(*spec),
              ::testing::ElementsAre("Namespace//apps", "ServiceAccount/apps/deployer", "Secret/apps/pull",
                                     "ConfigMap/apps/cm", "Secret/apps/s"));
}

}  // namespace
}  // namespace werf::controller
