#include "services/gateway/bundle_metrics.h"

#include <fstream>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/common/metrics.h"
#include "prometheus/text_serializer.h"
#include "services/gateway/gateway_metrics.h"

namespace werf::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Serialize(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

pb::Bundle Bundle(pb::BundlePhase phase, const std::string& applied, const std::string& latest) {
  pb::Bundle bundle;
  bundle.set_namespace_("shop");
  bundle.set_name("web");
  bundle.set_phase(phase);
  bundle.set_last_applied_tag(applied);
  bundle.set_latest_tag(latest);
  return bundle;
}

TEST(BundleMetricsTest, OneInfoSeriesPerBundleThatFollowsItsLabels) {
  prometheus::Registry registry;
  BundleMetrics metrics(registry);
  pb::Bundle bundle = Bundle(pb::BUNDLE_PHASE_SYNCED, "1.2.0", "1.2.0");
  bundle.set_consecutive_failures(0);
  *bundle.mutable_last_sync_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1767323045);
  metrics.Set(bundle);
  std::string text = Serialize(registry);
  EXPECT_THAT(text, HasSubstr("werf_operator_bundle_info{applied_tag=\"1.2.0\",latest_tag=\"1.2.0\","
                              "name=\"web\",namespace=\"shop\",phase=\"Synced\"} 1"));
  EXPECT_THAT(text, HasSubstr("werf_operator_bundle_last_sync_timestamp_seconds{name=\"web\",namespace=\"shop\"} 1767323045"));
  EXPECT_THAT(text, HasSubstr("werf_operator_bundle_consecutive_failures{name=\"web\",namespace=\"shop\"} 0"));

  pb::Bundle failing = Bundle(pb::BUNDLE_PHASE_FAILED, "1.2.0", "1.3.0");
  failing.set_consecutive_failures(5);
  metrics.Set(failing);
  text = Serialize(registry);
  EXPECT_THAT(text, HasSubstr("latest_tag=\"1.3.0\",name=\"web\",namespace=\"shop\",phase=\"Failed\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("phase=\"Synced\"")));
  EXPECT_THAT(text, Not(HasSubstr("werf_operator_bundle_last_sync_timestamp_seconds{")))
      << "no lastSyncTime, no series";
  EXPECT_THAT(text, HasSubstr("werf_operator_bundle_consecutive_failures{name=\"web\",namespace=\"shop\"} 5"));

  metrics.Remove({"shop", "web"});
  EXPECT_THAT(Serialize(registry), Not(HasSubstr("name=\"web\"")));
  EXPECT_EQ(PhaseLabel(pb::BUNDLE_PHASE_UNSPECIFIED), "Unknown");
}

TEST(BundleMetricsTest, TheGrafanaDashboardsMetricsAreRegistered) {
  // prometheus-cpp collects only families that have series: give each one.
  BundleMetrics bundles(common::MetricsRegistry());
  pb::Bundle bundle = Bundle(pb::BUNDLE_PHASE_SYNCED, "1", "1");
  *bundle.mutable_last_sync_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1);
  bundles.Set(bundle);
  GatewayMetrics& gateway = Metrics();
  gateway.access_reviews.Add({{"review", "token"}, {"outcome", "allowed"}});
  gateway.watches.Add({{"transport", "grpc"}});
  gateway.watch_resyncs.Add({{"transport", "grpc"}});
  gateway.http_requests.Add({{"route", "/"}, {"code", "200"}});
  gateway.http_latency.Add({{"route", "/"}}, HttpLatencyBuckets());
  std::set<std::string> registered;
  for (const prometheus::MetricFamily& family : common::MetricsRegistry().Collect()) {
    registered.insert(family.name);
  }
  std::ifstream list(WERF_SOURCE_DIR "/deploy/grafana/exported-metrics.txt");
  ASSERT_TRUE(list.good());
  int checked = 0;
  for (std::string name; std::getline(list, name);) {
    if (!absl::StartsWith(name, "werf_operator_bundle_") && !absl::StartsWith(name, "werf_operator_gateway_")) {
      continue;  // registered by libs/common when first used
    }
    ++checked;
    EXPECT_TRUE(registered.contains(name)) << name;
  }
  EXPECT_EQ(checked, 9);
}

}  // namespace
}  // namespace werf::gateway
