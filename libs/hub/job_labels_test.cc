#include "libs/hub/job_labels.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::hub {
namespace {

namespace pb = ::werf::operator_::v1;
using ::testing::MatchesRegex;

TEST(JobLabels, KindRoundTrips) {
  EXPECT_EQ(JobKindLabel(pb::JOB_KIND_APPLY), "apply");
  EXPECT_EQ(JobKindLabel(pb::JOB_KIND_DRIFT_CHECK), "drift-check");
  EXPECT_EQ(JobKindLabel(pb::JOB_KIND_UNSPECIFIED), "");
  EXPECT_EQ(JobKindFromLabel("apply"), pb::JOB_KIND_APPLY);
  EXPECT_EQ(JobKindFromLabel("drift-check"), pb::JOB_KIND_DRIFT_CHECK);
  EXPECT_EQ(JobKindFromLabel("Apply"), std::nullopt);
}

TEST(JobLabels, ValidValuesPassThrough) {
  for (const std::string& value : std::vector<std::string>{"", "shop", "my.app_1-x", std::string(63, 'a')}) {
    EXPECT_EQ(LabelValue(value), value);
  }
}

TEST(JobLabels, InvalidValuesBecomeDistinctValidOnes) {
  const std::string long_a = LabelValue(std::string(64, 'a'));
  const std::string long_b = LabelValue(std::string(63, 'a') + "b");
  EXPECT_THAT(long_a, MatchesRegex("a{52}-[0-9a-f]{10}"));
  EXPECT_NE(long_a, long_b);
  EXPECT_LE(long_b.size(), 63u);
  EXPECT_THAT(LabelValue("-x/y-"), MatchesRegex("x-y-[0-9a-f]{10}"));
  EXPECT_THAT(LabelValue("///"), MatchesRegex("[0-9a-f]{10}"));
}

TEST(JobLabels, Selectors) {
  EXPECT_EQ(ManagedJobsSelector(), "app.kubernetes.io/managed-by=werf-operator");
  EXPECT_EQ(BundleJobsSelector("team-a", "shop"),
            "app.kubernetes.io/managed-by=werf-operator,werf.io/bundle-namespace=team-a,"
            "werf.io/bundle=shop");
}

}  // namespace
}  // namespace werf::hub
