// BundleSource on the in-memory API server (libs/kube/testing/fake_rest_client.h):
// what the API server holds is what the gateway's cache and gauges show, from the
// first list through later writes and deletions.
#include "services/gateway/bundle_source.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/testing/fake_rest_client.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace werf::gateway {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

json WerfBundle(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "werf.io/v1alpha1"},
          {"kind", "WerfBundle"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"generation", 1}}},
          {"spec",
           {{"registry", {{"url", "registry.example.com/apps/" + name}, {"versionConstraint", "<2"}}},
            {"converge", {{"serviceAccountName", "deployer"}}}}}};
}

bool Eventually(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class BundleSourceTest : public ::testing::Test {
 protected:
  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }
  kube::RestClient& api() { return *fake_; }

  std::shared_ptr<kube::testing::FakeRestClient> fake_ = std::make_shared<kube::testing::FakeRestClient>();
  BundleCache cache_{BundleCache::Options{}};
  prometheus::Registry registry_;
  BundleMetrics metrics_{registry_};
};

TEST_F(BundleSourceTest, ListsTheBundlesThenFollowsTheirUpdatesAndDeletions) {
  json web = WerfBundle("shop", "web");
  web["status"] = {{"phase", "Synced"}, {"lastAppliedTag", "1.2.0"}, {"latestTag", "1.2.0"}};
  const std::string web_version =
      fake_->Seed(kube::resources::kWerfBundles, web)["metadata"]["resourceVersion"].get<std::string>();
  fake_->Seed(kube::resources::kWerfBundles, WerfBundle("team", "api"));

  BundleSource source(fake_, "", cache_, &metrics_);
  EXPECT_EQ(source.Readiness().code(), absl::StatusCode::kUnavailable) << "not ready before the first list";
  source.Start();
  ASSERT_TRUE(Eventually([&] { return source.synced(); }));
  EXPECT_TRUE(source.Readiness().ok()) << source.Readiness();

  // The first list, converted, with the defaults the operator applies shown.
  EXPECT_EQ(cache_.size(), 2u);
  BundlePtr shown = cache_.Get({"shop", "web"});
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ(shown->resource_version(), web_version);
  EXPECT_EQ(shown->phase(), pb::BUNDLE_PHASE_SYNCED);
  EXPECT_EQ(shown->last_applied_tag(), "1.2.0");
  EXPECT_EQ(shown->spec().repository(), "registry.example.com/apps/web");
  EXPECT_EQ(shown->spec().target_namespace(), "shop");
  EXPECT_EQ(shown->spec().release(), "web");
  ASSERT_NE(cache_.Get({"team", "api"}), nullptr);
  EXPECT_EQ(cache_.Get({"team", "api"})->phase(), pb::BUNDLE_PHASE_UNSPECIFIED) << "not reconciled yet";
  EXPECT_THAT(Metrics(), HasSubstr("name=\"web\",namespace=\"shop\",phase=\"Synced\"} 1"));

  // Later writes arrive by the watch.
  ASSERT_TRUE(Eventually([&] { return fake_->open_watches() == 1; }));
  json failing = *api().Get(kube::resources::kWerfBundles, "shop", "web");
  failing["status"]["phase"] = "Failed";
  failing["status"]["lastErrorMessage"] = "Job shop/web-a-0123456789 failed with exit code 3";
  failing["status"]["consecutiveFailures"] = 5;
  absl::StatusOr<json> written = api().Update(kube::resources::kWerfBundles, "shop", failing, "status");
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_TRUE(Eventually([&] {
    BundlePtr now = cache_.Get({"shop", "web"});
    return now != nullptr && now->phase() == pb::BUNDLE_PHASE_FAILED;
  }));
  shown = cache_.Get({"shop", "web"});
  EXPECT_EQ(shown->resource_version(), (*written)["metadata"]["resourceVersion"].get<std::string>());
  EXPECT_EQ(shown->last_error_message(), "Job shop/web-a-0123456789 failed with exit code 3");
  EXPECT_EQ(shown->consecutive_failures(), 5u);
  EXPECT_EQ(shown->last_applied_tag(), "1.2.0");
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("name=\"web\",namespace=\"shop\",phase=\"Failed\"} 1"));
  EXPECT_THAT(metrics, Not(HasSubstr("phase=\"Synced\"")));

  ASSERT_TRUE(api().Delete(kube::resources::kWerfBundles, "team", "api", {}).ok());
  ASSERT_TRUE(Eventually([&] { return cache_.Get({"team", "api"}) == nullptr; }));
  EXPECT_EQ(cache_.size(), 1u);
  EXPECT_THAT(Metrics(), Not(HasSubstr("name=\"api\"")));
  EXPECT_EQ(cache_.Namespaces(), std::vector<std::string>{"shop"});
  source.Stop();
}

TEST_F(BundleSourceTest, ANamespacedSourceSeesOnlyItsNamespace) {
  fake_->Seed(kube::resources::kWerfBundles, WerfBundle("shop", "web"));
  fake_->Seed(kube::resources::kWerfBundles, WerfBundle("team", "api"));
  BundleSource source(fake_, "shop", cache_, /*metrics=*/nullptr);
  source.Start();
  ASSERT_TRUE(Eventually([&] { return source.synced(); }));
  ASSERT_TRUE(Eventually([&] { return fake_->open_watches() == 1; }));
  ASSERT_TRUE(api().Create(kube::resources::kWerfBundles, "team", WerfBundle("team", "later")).ok());
  ASSERT_TRUE(api().Create(kube::resources::kWerfBundles, "shop", WerfBundle("shop", "later")).ok());
  ASSERT_TRUE(Eventually([&] { return cache_.Get({"shop", "later"}) != nullptr; }));
  // The watch delivers in order: "team/later", written first, would be here by now
  // had the source asked for it.
  EXPECT_EQ(cache_.size(), 2u);
  EXPECT_EQ(cache_.Get({"team", "api"}), nullptr);
  EXPECT_EQ(cache_.Get({"team", "later"}), nullptr);
  source.Stop();
}

TEST_F(BundleSourceTest, AnUnreadableFieldIsLeftUnsetAndTheRestServed) {
  json odd = WerfBundle("shop", "web");
  odd["status"] = {{"phase", "Synced"}, {"lastAppliedTag", "1.2.0"}, {"lastSyncTime", "yesterday"}};
  fake_->Seed(kube::resources::kWerfBundles, odd);
  BundleSource source(fake_, "", cache_, /*metrics=*/nullptr);
  source.Start();
  ASSERT_TRUE(Eventually([&] { return source.synced(); }));
  BundlePtr shown = cache_.Get({"shop", "web"});
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ(shown->phase(), pb::BUNDLE_PHASE_SYNCED);
  EXPECT_EQ(shown->last_applied_tag(), "1.2.0");
  EXPECT_FALSE(shown->has_last_sync_time());
  source.Stop();
}

}  // namespace
}  // namespace werf::gateway
