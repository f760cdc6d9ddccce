#include "libs/kube/resource.h"

#include "gtest/gtest.h"

namespace werf::kube {
namespace {

TEST(ResourceTest, Paths) {
  EXPECT_EQ(resources::kConfigMaps.Path("ns", "cm"), "/api/v1/namespaces/ns/configmaps/cm");
  EXPECT_EQ(resources::kConfigMaps.Path(), "/api/v1/configmaps");
  EXPECT_EQ(resources::kJobs.Path("ns"), "/apis/batch/v1/namespaces/ns/jobs");
  EXPECT_EQ(resources::kWerfBundles.Path("a", "b", "status"),
            "/apis/werf.io/v1alpha1/namespaces/a/werfbundles/b/status");
  EXPECT_EQ(resources::kNamespaces.Path("ignored", "kube-system"), "/api/v1/namespaces/kube-system");
  EXPECT_EQ(resources::kPods.Path("ns", "p", "log"), "/api/v1/namespaces/ns/pods/p/log");
  EXPECT_EQ(resources::kJobs.DisplayName(), "jobs.batch");
}

}  // namespace
}  // namespace werf::kube
