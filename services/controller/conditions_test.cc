#include "services/controller/conditions.h"

#include "gtest/gtest.h"

namespace werf::controller {
namespace {

TEST(ConditionsTest, TransitionTimeMovesOnlyWhenStatusChanges) {
  nlohmann::json status = nlohmann::json::object();
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  SetCondition(status, {"Ready", "False", "Waiting", "a"}, 1, t0);
  SetCondition(status, {"Ready", "False", "StillWaiting", "b"}, 2, t0 + absl::Seconds(5));
  ASSERT_EQ(status["conditions"].size(), 1u);
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], FormatTimestamp(t0));
  EXPECT_EQ(status["conditions"][0]["reason"], "StillWaiting");
  EXPECT_EQ(status["conditions"][0]["observedGeneration"], 2);
  SetCondition(status, {"Ready", "True", "Synced", "c"}, 2, t0 + absl::Seconds(9));
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], FormatTimestamp(t0 + absl::Seconds(9)));
  EXPECT_EQ(ConditionStatus(status, "Ready"), "True");
  RemoveCondition(status, "Ready");
  EXPECT_EQ(ConditionStatus(status, "Ready"), "");
}

}  // namespace
}  // namespace werf::controller
