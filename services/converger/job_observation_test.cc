#include "services/converger/job_observation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/converger/redaction.h"

namespace werf::converger {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json Job(const std::string& kind = "apply") {
  return {{"metadata",
           {{"name", "shop-a-0123456789"},
            {"namespace", "prod"},
            {"uid", "job-uid"},
            {"labels",
             {{"app.kubernetes.io/managed-by", "werf-operator"},
              {"werf.io/bundle", "shop"},
              {"werf.io/bundle-namespace", "team-a"},
              {"werf.io/bundle-uid", "uid-1"},
              {"werf.io/job-kind", kind}}},
            {"annotations",
             {{"werf.io/tag", "1.4.2"},
              {"werf.io/digest", "sha256:abc"},
              {"werf.io/config-hash", "cfg1"},
              {"werf.io/bundle", "team-a/shop"}}}}},
          {"status", {{"startTime", "2026-11-22T10:00:00Z"}}}};
}

json Finished(json job, bool complete, const std::string& reason = "", const std::string& message = "") {
  json condition = {{"type", complete ? "Complete" : "Failed"},
                    {"status", "True"},
                    {"lastTransitionTime", "2026-11-22T10:01:30Z"}};
  if (!reason.empty()) condition["reason"] = reason;
  if (!message.empty()) condition["message"] = message;
  job["status"]["conditions"] = json::array({condition});
  return job;
}

json Pod(const std::string& name, std::optional<int> exit_code, const std::string& message = "",
         const std::string& finished_at = "2026-11-22T10:01:29Z") {
  json state = {{"running", {{"startedAt", "2026-11-22T10:00:01Z"}}}};
  if (exit_code) {
    state = {{"terminated", {{"exitCode", *exit_code}, {"finishedAt", finished_at}, {"reason", "Error"}}}};
    if (!message.empty()) state["terminated"]["message"] = message;
  }
  return {{"metadata", {{"name", name}, {"creationTimestamp", "2026-11-22T10:00:00Z"}}},
          {"status", {{"containerStatuses", json::array({{{"name", "werf"}, {"state", state}}})}}}};
}

TEST(StateOfJob, FromConditionsAndStartTime) {
  json pending = Job();
  pending.erase("status");
  EXPECT_EQ(StateOfJob(pending), JobState::kPending);
  EXPECT_EQ(StateOfJob(Job()), JobState::kRunning);
  EXPECT_EQ(StateOfJob(Finished(Job(), true)), JobState::kSucceeded);
  EXPECT_EQ(StateOfJob(Finished(Job(), false)), JobState::kFailed);
  json failure_target = Job();
  failure_target["status"]["conditions"] = json::array({{{"type", "FailureTarget"}, {"status", "True"}}});
  EXPECT_EQ(StateOfJob(failure_target), JobState::kRunning) << "pods may still be terminating";
  json false_condition = Job();
  false_condition["status"]["conditions"] = json::array({{{"type", "Complete"}, {"status", "False"}}});
  EXPECT_EQ(StateOfJob(false_condition), JobState::kRunning);
}

TEST(JobForMonitor, KeepsWhatTheMonitorReadsAndDropsThePodTemplate) {
  json job = Finished(Job(), true);
  job["metadata"]["uid"] = "job-uid";
  job["metadata"]["resourceVersion"] = "42";
  job["metadata"]["creationTimestamp"] = "2026-11-22T09:59:59Z";
  job["metadata"]["managedFields"] = json::array({{{"manager", "werf-converger"}}});
  job["metadata"]["ownerReferences"] = json::array({{{"uid", "bundle-uid"}}});
  job["spec"] = {{"backoffLimit", 0},
                 {"template",
                  {{"metadata", {{"labels", {{"a", "b"}}}}},
                   {"spec",
                    {{"containers", json::array({{{"name", "werf"}, {"args", json::array({"bundle", "apply"})}}})},
                     {"volumes", json::array({{{"name", "inputs"}, {"secret", {{"secretName", "shop-a-0123456789"}}}}})}}}}}};
  const json kept = JobForMonitor(job);

  // Everything the monitor's readers need gives the same answers.
  EXPECT_EQ(StateOfJob(kept), JobState::kSucceeded);
  EXPECT_EQ(BaseObservation(kept).DebugString(), BaseObservation(job).DebugString());
  EXPECT_TRUE(JobMountsSecret(kept, "shop-a-0123456789"));
  EXPECT_EQ(kept["metadata"]["uid"], "job-uid");
  EXPECT_EQ(kept["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(kept["metadata"]["creationTimestamp"], "2026-11-22T09:59:59Z");
  EXPECT_EQ(kept["status"], job["status"]);
  // And the bulk is gone.
  EXPECT_FALSE(kept["metadata"].contains("managedFields"));
  EXPECT_FALSE(kept["metadata"].contains("ownerReferences"));
  EXPECT_FALSE(kept["spec"]["template"]["spec"].contains("containers"));
  EXPECT_FALSE(kept["spec"]["template"].contains("metadata"));
  EXPECT_FALSE(kept["spec"].contains("backoffLimit"));
  EXPECT_LT(kept.dump().size(), job.dump().size());
}

TEST(BaseObservation, ComesFromTheJobsLabelsAndAnnotations) {
  const pb::JobObservation o = BaseObservation(Job());
  EXPECT_EQ(o.job_name(), "shop-a-0123456789");
  EXPECT_EQ(o.job_namespace(), "prod");
  EXPECT_EQ(o.bundle().namespace_(), "team-a");
  EXPECT_EQ(o.bundle().name(), "shop");
  EXPECT_EQ(o.bundle().uid(), "uid-1");
  EXPECT_EQ(o.kind(), pb::JOB_KIND_APPLY);
  EXPECT_EQ(o.phase(), pb::JOB_PHASE_RUNNING);
  EXPECT_EQ(o.tag(), "1.4.2");
  EXPECT_EQ(o.digest(), "sha256:abc");
  EXPECT_EQ(o.config_hash(), "cfg1");
  EXPECT_EQ(FromTimestamp(o.started_at()), *ParseKubeTime("2026-11-22T10:00:00Z"));
  EXPECT_FALSE(o.has_finished_at());
}

TEST(BaseObservation, FallsBackToLabelsWithoutTheBundleAnnotation) {
  json job = Job();
  job["metadata"]["annotations"].erase("werf.io/bundle");
  EXPECT_EQ(BaseObservation(job).bundle().namespace_(), "team-a");
  EXPECT_EQ(BaseObservation(job).bundle().name(), "shop");
}

TEST(WerfContainerOutcome, PicksTheLatestTerminatedPod) {
  EXPECT_FALSE(WerfContainerOutcome({}).has_value());
  const std::optional<PodOutcome> outcome = WerfContainerOutcome(
      {Pod("old", 1, "", "2026-11-22T10:00:10Z"), Pod("new", 0, R"({"status":"deployed"})", "2026-11-22T10:01:00Z"),
       Pod("running", std::nullopt)});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->pod_name, "new");
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(outcome->termination_message, R"({"status":"deployed"})");
  const std::optional<PodOutcome> running = WerfContainerOutcome({Pod("running", std::nullopt)});
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->pod_name, "running");
  EXPECT_FALSE(running->exit_code.has_value());
}

struct OutcomeCase {
  std::string name;
  std::string kind;
  bool complete;
  std::optional<int> exit_code;
  pb::JobPhase phase;
  pb::DriftResult drift;
  std::string message_part;
};

class FinishedObservationTest : public ::testing::TestWithParam<OutcomeCase> {};

TEST_P(FinishedObservationTest, PhaseDriftExitCodeAndMessage) {
  const OutcomeCase& c = GetParam();
  const json job = c.complete ? Finished(Job(c.kind), true)
                              : Finished(Job(c.kind), false, "BackoffLimitExceeded",
                                         "Job has reached the specified backoff limit");
  std::vector<json> pods;
  if (c.exit_code) pods.push_back(Pod("p", *c.exit_code));
  const pb::JobObservation o = FinishedObservation(job, WerfContainerOutcome(pods), {.text = "", .unavailable_reason = ""});
  EXPECT_EQ(o.phase(), c.phase);
  EXPECT_EQ(o.drift(), c.drift);
  EXPECT_EQ(o.exit_code(), c.exit_code.value_or(0));
  EXPECT_THAT(o.message(), HasSubstr(c.message_part));
  EXPECT_EQ(FromTimestamp(o.finished_at()), *ParseKubeTime("2026-11-22T10:01:30Z"));
}

INSTANTIATE_TEST_SUITE_P(
    Outcomes, FinishedObservationTest,
    ::testing::Values(
        OutcomeCase{"ApplySucceeded", "apply", true, 0, pb::JOB_PHASE_SUCCEEDED, pb::DRIFT_RESULT_UNSPECIFIED, ""},
        OutcomeCase{"ApplyFailed", "apply", false, 1, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_UNSPECIFIED,
                    "werf exited with code 1; BackoffLimitExceeded: Job has reached the specified backoff limit"},
        OutcomeCase{"ApplyKilled", "apply", false, 143, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_UNSPECIFIED,
                    "werf exited with code 143"},
        OutcomeCase{"ApplyFailedWithoutPod", "apply", false, std::nullopt, pb::JOB_PHASE_FAILED,
                    pb::DRIFT_RESULT_UNSPECIFIED, "never terminated"},
        OutcomeCase{"DriftInSync", "drift-check", true, 0, pb::JOB_PHASE_SUCCEEDED, pb::DRIFT_RESULT_IN_SYNC, ""},
        OutcomeCase{"DriftDetected", "drift-check", false, 2, pb::JOB_PHASE_SUCCEEDED, pb::DRIFT_RESULT_DRIFTED,
                    "the cluster differs from the bundle"},
        OutcomeCase{"DriftReleaseMustBeInstalled", "drift-check", false, 3, pb::JOB_PHASE_SUCCEEDED,
                    pb::DRIFT_RESULT_DRIFTED, "the release must be installed again (werf bundle plan exited 3)"},
        OutcomeCase{"DriftError", "drift-check", false, 1, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_ERROR,
                    "werf exited with code 1"},
        OutcomeCase{"DriftKilled", "drift-check", false, 143, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_ERROR,
                    "werf exited with code 143"}),
    [](const auto& info) { return info.param.name; });

TEST(FinishedObservation, DriftDetectedDoesNotBlameTheBackoffLimit) {
  const pb::JobObservation o = FinishedObservation(
      Finished(Job("drift-check"), false, "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
      WerfContainerOutcome({Pod("p", 2)}), {});
  EXPECT_THAT(o.message(), ::testing::Not(HasSubstr("BackoffLimitExceeded")));
}

TEST(FinishedObservation, CarriesTheDeployReportAndLogTail) {
  const std::string report = R"({"release":"shop","namespace":"prod","status":"deployed","resources":[]})";
  const pb::JobObservation o = FinishedObservation(Finished(Job(), true), WerfContainerOutcome({Pod("p", 0, report)}),
                                                   {.text = "line 1\nline 2", .unavailable_reason = ""});
  EXPECT_EQ(o.deploy_report().status(), "deployed");
  EXPECT_EQ(o.deploy_report().raw_json(), report);
  EXPECT_EQ(o.log_tail(), "line 1\nline 2");
  EXPECT_EQ(o.message(), "");
}

TEST(FinishedObservation, SaysWhenLogsAreUnavailable) {
  const pb::JobObservation o = FinishedObservation(
      Finished(Job(), true), WerfContainerOutcome({Pod("p", 0)}),
      {.text = "", .unavailable_reason = "no preferred addresses found"});
  EXPECT_EQ(o.log_tail(), "");
  EXPECT_EQ(o.message(), "logs unavailable: no preferred addresses found");
  EXPECT_FALSE(o.has_deploy_report());
}

TEST(FinishedObservation, TakesTheKubeletsLogTailWhenTheApiServesNoLog) {
  // werf failed before writing a report: FallbackToLogsOnError put the log's tail in
  // the termination message.
  const std::string kubelet_tail = "Error: pull bundle: unauthorized\n";
  const pb::JobObservation o = FinishedObservation(
      Finished(Job(), false, "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
      WerfContainerOutcome({Pod("p", 1, kubelet_tail)}), {.text = "", .unavailable_reason = "no node"});
  EXPECT_FALSE(o.has_deploy_report());
  EXPECT_EQ(o.log_tail(), "Error: pull bundle: unauthorized");
  EXPECT_THAT(o.message(), HasSubstr("logs unavailable (no node); the log tail is the kubelet's termination message"));

  const pb::JobObservation with_log =
      FinishedObservation(Finished(Job(), false), WerfContainerOutcome({Pod("p", 1, kubelet_tail)}),
                          {.text = "the API's log", .unavailable_reason = ""});
  EXPECT_EQ(with_log.log_tail(), "the API's log") << "the API's log wins: it is longer";
}

TEST(ParseDeployReport, ReadsTheEntrypointsCompactReport) {
  const std::optional<pb::DeployReport> report = ParseDeployReport(
      R"({"version":3,"release":"shop","namespace":"prod","revision":12,"status":"failed",)"
      R"("failedOperationsCount":2,"canceledOperationsCount":7,"completedOperationsCount":130,)"
      R"("failedOperations":["create Deployment/a","update Job/b"],"canceledOperations":["create Service/c"],)"
      R"("completedOperations":["create ConfigMap/d"],"truncated":true})");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->status(), "failed");
  EXPECT_EQ(report->release(), "shop");
  EXPECT_EQ(report->namespace_(), "prod");
  EXPECT_EQ(report->revision(), 12);
  EXPECT_EQ(report->completed_operations(), 130) << "the count, not the names that fitted";
  EXPECT_EQ(report->canceled_operations(), 7);
  EXPECT_EQ(report->failed_operations(), 2);
  EXPECT_THAT(report->failed_operation_names(), ::testing::ElementsAre("create Deployment/a", "update Job/b"));
  EXPECT_TRUE(report->truncated());
}

TEST(ParseDeployReport, ReadsNelmsOwnReportOfOver100Operations) {
  json completed = json::array();
  for (int i = 0; i < 120; ++i) completed.push_back(absl::StrCat("create resource: v1, Kind=ConfigMap, Name=cm-", i));
  const json nelm = {{"version", 3},
                     {"release", "big"},
                     {"namespace", "prod"},
                     {"revision", 1},
                     {"status", "deployed"},
                     {"completedOperations", completed}};
  const std::string text = nelm.dump(1, '\t');
  ASSERT_GT(text.size(), kDeployReportBytes);
  const std::optional<pb::DeployReport> report = ParseDeployReport(text);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->status(), "deployed");
  EXPECT_EQ(report->revision(), 1);
  EXPECT_EQ(report->completed_operations(), 120);
  EXPECT_EQ(report->failed_operations(), 0);
  EXPECT_FALSE(report->truncated());
  EXPECT_EQ(report->raw_json().size(), kDeployReportBytes);
}

TEST(ParseDeployReport, IgnoresFieldsOfTheWrongType) {
  const std::optional<pb::DeployReport> report =
      ParseDeployReport(R"({"status":7,"revision":"3","failedOperationsCount":-1,"failedOperations":[1,"x"]})");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->status(), "");
  EXPECT_EQ(report->revision(), 0);
  EXPECT_EQ(report->failed_operations(), 2) << "a negative count falls back to the list";
  EXPECT_THAT(report->failed_operation_names(), ::testing::ElementsAre("x"));
}

TEST(ParseDeployReport, NeedsAJsonObjectAndBoundsTheRawText) {
  EXPECT_FALSE(ParseDeployReport("").has_value());
  EXPECT_FALSE(ParseDeployReport("Error: boom").has_value());
  EXPECT_FALSE(ParseDeployReport("[1,2]").has_value());
  EXPECT_EQ(ParseDeployReport(R"({"status":"failed"})")->status(), "failed");
  EXPECT_EQ(ParseDeployReport(R"({"other":1})")->status(), "");
  const std::string big = absl::StrCat(R"({"status":"skipped","pad":")", std::string(10000, 'x'), R"("})");
  const std::optional<pb::DeployReport> parsed = ParseDeployReport(big);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->status(), "skipped");
  EXPECT_EQ(parsed->raw_json().size(), kDeployReportBytes);
}

TEST(TailOfLog, KeepsTheLastLines) {
  EXPECT_EQ(TailOfLog(""), "");
  EXPECT_EQ(TailOfLog("a\nb\nc\n", 2), "b\nc");
  EXPECT_EQ(TailOfLog("a\nb\nc", 5), "a\nb\nc");
  EXPECT_EQ(TailOfLog("a\nb\nc", 1), "c");
  std::string log;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&log, "line ", i, "\n");
  const std::string tail = TailOfLog(log);
  EXPECT_EQ(tail.substr(0, 8), "line 50\n");
  EXPECT_EQ(tail.substr(tail.size() - 7), "line 99");
}

TEST(TailOfLog, KeepsTheLastBytesOnALineBoundary) {
  std::string log;
  for (int i = 0; i < 40; ++i) absl::StrAppend(&log, std::string(199, 'a' + i % 26), "\n");
  const std::string tail = TailOfLog(log);
  EXPECT_LE(tail.size(), kLogTailBytes);
  EXPECT_EQ(tail.size() % 200, 199u) << "whole lines only";
  // One huge line of multi-byte characters: cut, but never inside a character.
  std::string wide;
  for (int i = 0; i < 3000; ++i) wide += "\xc3\xa9";  // é
  const std::string cut = TailOfLog(wide);
  EXPECT_LE(cut.size(), kLogTailBytes);
  EXPECT_EQ(static_cast<unsigned char>(cut[0]), 0xc3);
}

TEST(Times, ParseAndConvert) {
  EXPECT_FALSE(ParseKubeTime("").has_value());
  EXPECT_FALSE(ParseKubeTime("yesterday").has_value());
  const absl::Time t = *ParseKubeTime("2026-11-22T10:00:00.5Z");
  const google::protobuf::Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts.nanos(), 500000000);
  EXPECT_EQ(FromTimestamp(ts), t);
}

}  // namespace
}  // namespace werf::converger
