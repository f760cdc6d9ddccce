#include "libs/api/bundle_status.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// A status as the controller writes it, with every field set.
Json FullStatus() {
  return Json::parse(R"({
    "phase": "Synced",
    "observedGeneration": 3,
    "latestTag": "1.2.3",
    "latestDigest": "sha256:aa",
    "lastAppliedTag": "1.2.3",
    "lastAppliedDigest": "sha256:aa",
    "lastAppliedConfigHash": "c0ffee",
    "lastSyncTime": "2026-12-01T10:00:00Z",
    "lastErrorMessage": "boom",
    "consecutiveFailures": 2,
    "nextRetryTime": "2026-12-01T10:05:00Z",
    "lastHandledReconcileAt": "now",
    "lastDriftCheckTime": "2026-12-01T10:01:00Z",
    "driftCorrections": 1,
    "driftCorrectionPending": true,
    "jobSequence": 7,
    "activeJob": {"name": "web-a-0123456789", "namespace": "apps", "tag": "1.2.3",
                  "digest": "sha256:aa", "kind": "DriftCheck", "sequence": 7,
                  "startedAt": "2026-12-01T10:02:00Z", "configHash": "c0ffee"},
    "history": [{"tag": "1.2.3", "digest": "sha256:aa", "jobName": "web-a-1111111111",
                 "finishedAt": "2026-12-01T10:00:00Z", "startedAt": "2026-12-01T09:59:00Z",
                 "result": "Succeeded", "message": "deployed", "durationSeconds": 60},
                {"tag": "1.2.2", "digest": "sha256:bb", "jobName": "web-a-0000000000",
                 "finishedAt": "2026-12-01T09:00:00Z", "startedAt": "2026-12-01T08:58:30Z",
                 "durationSeconds": 90, "result": "Failed", "message": "Job failed",
                 "driftCorrection": true, "revision": 4, "reportStatus": "failed",
                 "completedOperations": 3, "canceledOperations": 1, "failedOperations": 2,
                 "failedOperationNames": ["create Deployment/web", "create Job/migrate"],
                 "logTail": "Error: resource Deployment/web: timed out"}],
    "notifications": [{"sink": "team-slack", "delivered": ["web-a-1111111111/Deployed"],
                       "lastAttemptTime": "2026-12-01T10:00:05Z", "lastResult": "HTTP 503: busy",
                       "consecutiveFailures": 2, "dropped": 1}],
    "conditions": [{"type": "Ready", "status": "True", "reason": "Synced", "message": "ok",
                    "observedGeneration": 3, "lastTransitionTime": "2026-12-01T10:00:00Z"}]
  })");
}

TEST(BundleStatusTest, RoundTripsEveryFieldExactly) {
  std::vector<std::string> problems;
  const BundleStatus status = BundleStatusFromJson(FullStatus(), &problems);
  EXPECT_THAT(problems, ::testing::IsEmpty());
  EXPECT_EQ(status.phase, Phase::kSynced);
  EXPECT_EQ(status.job_sequence, 7);
  ASSERT_TRUE(status.active_job.has_value());
  EXPECT_EQ(status.active_job->kind, JobKind::kDriftCheck);
  EXPECT_EQ(status.active_job->sequence, 7);
  ASSERT_EQ(status.history.size(), 2u);
  EXPECT_EQ(status.history[0].result, JobResult::kSucceeded);
  const HistoryEntry& failed = status.history[1];
  EXPECT_TRUE(failed.drift_correction);
  EXPECT_EQ(failed.revision, 4);
  EXPECT_EQ(failed.report_status, "failed");
  EXPECT_EQ(failed.completed_operations, 3u);
  EXPECT_EQ(failed.canceled_operations, 1u);
  EXPECT_EQ(failed.failed_operations, 2u);
  EXPECT_THAT(failed.failed_operation_names, ElementsAre("create Deployment/web", "create Job/migrate"));
  EXPECT_EQ(failed.log_tail, "Error: resource Deployment/web: timed out");
  EXPECT_TRUE(status.drift_correction_pending);
  ASSERT_EQ(status.notifications.size(), 1u);
  EXPECT_EQ(status.notifications[0].sink, "team-slack");
  EXPECT_THAT(status.notifications[0].delivered, ::testing::ElementsAre("web-a-1111111111/Deployed"));
  EXPECT_EQ(status.notifications[0].consecutive_failures, 2);
  EXPECT_EQ(status.notifications[0].dropped, 1);
  EXPECT_EQ(BundleStatusToJson(status), FullStatus());
}

TEST(BundleStatusTest, EmptyStatusHasOnlyTheGenerationAndTheFailureCount) {
  const BundleStatus status = BundleStatusFromJson(Json::object());
  EXPECT_EQ(status, BundleStatus{});
  EXPECT_EQ(BundleStatusToJson(status), Json({{"observedGeneration", 0}, {"consecutiveFailures", 0}}));
}

TEST(BundleStatusTest, MalformedFieldsAreProblemsAndReadAsAbsent) {
  Json status = FullStatus();
  status["phase"] = "Exploded";
  status["lastSyncTime"] = "yesterday";
  status["consecutiveFailures"] = "two";
  status["history"] = Json::array({42});
  std::vector<std::string> problems;
  const BundleStatus parsed = BundleStatusFromJson(status, &problems);
  EXPECT_EQ(parsed.phase, Phase::kUnknown);
  EXPECT_FALSE(parsed.last_sync_time.has_value());
  EXPECT_EQ(parsed.consecutive_failures, 0);
  EXPECT_TRUE(parsed.history.empty());
  EXPECT_THAT(problems, ElementsAre(HasSubstr("status.phase: \"Exploded\""),
                                    HasSubstr("status.lastSyncTime: \"yesterday\""),
                                    HasSubstr("status.consecutiveFailures"),
                                    HasSubstr("status.history[0]: 42 is not an object")));
}

TEST(BundleStatusTest, AFailedOperationNameThatIsNoStringIsAProblemTheOthersStay) {
  Json status = FullStatus();
  status["history"][1]["failedOperationNames"] = Json::array({"create Deployment/web", 7});
  std::vector<std::string> problems;
  const BundleStatus parsed = BundleStatusFromJson(status, &problems);
  ASSERT_EQ(parsed.history.size(), 2u);
  EXPECT_THAT(parsed.history[1].failed_operation_names, ElementsAre("create Deployment/web"));
  EXPECT_THAT(problems, ElementsAre(HasSubstr("status.history[1].failedOperationNames[1]: 7 is not a string")));
}

TEST(BundleStatusTest, SetConditionMovesTransitionTimeOnlyWhenStatusChanges) {
  BundleStatus status;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  const absl::Time t1 = absl::FromUnixSeconds(2000);
  status.SetCondition({.type = "Ready", .status = "False", .reason = "A", .message = "a"}, t0);
  status.SetCondition({.type = "Ready", .status = "False", .reason = "B", .message = "b"}, t1);
  ASSERT_NE(status.FindCondition("Ready"), nullptr);
  EXPECT_EQ(status.FindCondition("Ready")->last_transition_time, t0);
  EXPECT_EQ(status.FindCondition("Ready")->reason, "B");
  status.SetCondition({.type = "Ready", .status = "True", .reason = "C", .message = "c"}, t1);
  EXPECT_EQ(status.FindCondition("Ready")->last_transition_time, t1);
  EXPECT_EQ(status.ConditionStatus("Ready"), "True");
  status.RemoveCondition("Ready");
  EXPECT_EQ(status.ConditionStatus("Ready"), "");
}

}  // namespace
}  // namespace werf::api
