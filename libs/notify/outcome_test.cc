#include "libs/notify/outcome.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::notify {
namespace {

using ::testing::ElementsAre;

api::HistoryEntry Entry(const std::string& job, api::JobResult result, int minute, bool drift = false) {
  api::HistoryEntry entry;
  entry.tag = "1.0." + std::to_string(minute);
  entry.job_name = job;
  entry.finished_at = absl::FromUnixSeconds(minute * 60);
  entry.result = result;
  entry.drift_correction = drift;
  return entry;
}

std::vector<std::string> Ids(const std::vector<Outcome>& outcomes) {
  std::vector<std::string> ids;
  for (const Outcome& o : outcomes) ids.push_back(o.id);
  return ids;
}

TEST(OutcomesOfTest, HistoryEntriesAreOutcomesNamedByTheirJobNewestFirst) {
  api::BundleStatus status;
  status.history = {Entry("web-4", api::JobResult::kSucceeded, 4, /*drift=*/true),
                    Entry("web-3", api::JobResult::kSucceeded, 3),
                    Entry("web-2", api::JobResult::kFailed, 2),
                    Entry("web-1", api::JobResult::kSucceeded, 1)};
  const std::vector<Outcome> outcomes = OutcomesOf(status);
  EXPECT_THAT(Ids(outcomes), ElementsAre("web-4", "web-3", "web-2", "web-1"));
  EXPECT_THAT(outcomes[0].kinds, ElementsAre(OutcomeKind::kDriftCorrected, OutcomeKind::kDeployed));
  EXPECT_THAT(outcomes[1].kinds, ElementsAre(OutcomeKind::kRecovered, OutcomeKind::kDeployed));
  EXPECT_THAT(outcomes[2].kinds, ElementsAre(OutcomeKind::kFailed));
  EXPECT_THAT(outcomes[3].kinds, ElementsAre(OutcomeKind::kDeployed));
}

TEST(OutcomesOfTest, ARetryOfATagThatFailedJustBeforeIsNoNews) {
  api::BundleStatus status;
  status.history = {Entry("web-4", api::JobResult::kFailed, 4), Entry("web-3", api::JobResult::kFailed, 3),
                    Entry("web-2", api::JobResult::kFailed, 2), Entry("web-1", api::JobResult::kSucceeded, 1)};
  for (int i = 0; i < 3; ++i) {
    status.history[i].tag = "1.1.0";
    status.history[i].message = "Job apps/" + status.history[i].job_name + " failed: exit code 3";
  }
  status.history[0].tag = "1.2.0";
  const std::vector<Outcome> outcomes = OutcomesOf(status);
  EXPECT_THAT(outcomes[0].kinds, ElementsAre(OutcomeKind::kFailed)) << "another tag failing is news";
  EXPECT_TRUE(outcomes[1].kinds.empty());
  EXPECT_THAT(outcomes[2].kinds, ElementsAre(OutcomeKind::kFailed));
}

TEST(OutcomesOfTest, TrueDriftedAndStalledConditionsAreOutcomesNamedByTheirTransition) {
  api::BundleStatus status;
  status.history = {Entry("web-1", api::JobResult::kSucceeded, 1)};
  status.SetCondition({.type = "Drifted", .status = "True", .reason = "DriftDetected", .message = "m"},
                      absl::FromUnixSeconds(120));
  status.SetCondition({.type = "Ready", .status = "False", .reason = "", .message = ""}, absl::FromUnixSeconds(130));
  EXPECT_THAT(Ids(OutcomesOf(status)), ElementsAre("Drifted@1970-01-01T00:02:00Z", "web-1"));
  status.SetCondition({.type = "Drifted", .status = "False", .reason = "", .message = ""}, absl::FromUnixSeconds(180));
  status.SetCondition({.type = "Stalled", .status = "True", .reason = "InvalidSpec", .message = ""}, absl::FromUnixSeconds(190));
  EXPECT_THAT(Ids(OutcomesOf(status)), ElementsAre("Stalled@1970-01-01T00:03:10Z", "web-1"));
}

TEST(OutcomeKindForTest, ASinkGetsTheMostSpecificKindItWantsOnce) {
  const Outcome recovered{.kinds = {OutcomeKind::kRecovered, OutcomeKind::kDeployed}};
  EXPECT_EQ(recovered.KindFor(SinkSpec{}), OutcomeKind::kRecovered);
  EXPECT_EQ(recovered.KindFor(SinkSpec{.events = {OutcomeKind::kDeployed}}), OutcomeKind::kDeployed);
  EXPECT_EQ(recovered.KindFor(SinkSpec{.events = {OutcomeKind::kFailed}}), std::nullopt);
}

}  // namespace
}  // namespace werf::notify
