#include "services/gateway/bundle_convert.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace werf::gateway {
namespace {

using ::testing::HasSubstr;

pb::Bundle ParseTextBundle(const std::string& text) {
  pb::Bundle bundle;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &bundle)) << text;
  return bundle;
}

struct ConvertCase {
  std::string name;
  std::string object_json;
  std::string expected_textproto;
  std::vector<std::string> problems;  // substrings, in order
};

class BundleConvertTest : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(BundleConvertTest, ConvertsTheResource) {
  const ConvertCase& c = GetParam();
  absl::StatusOr<ConvertedBundle> converted = BundleFromObject(nlohmann::json::parse(c.object_json));
  ASSERT_TRUE(converted.ok()) << converted.status();
  const pb::Bundle expected = ParseTextBundle(c.expected_textproto);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(expected, converted->bundle)) << diff;
  ASSERT_EQ(converted->problems.size(), c.problems.size())
      << ::testing::PrintToString(converted->problems);
  for (size_t i = 0; i < c.problems.size(); ++i) {
    EXPECT_THAT(converted->problems[i], HasSubstr(c.problems[i]));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, BundleConvertTest,
    ::testing::Values(
        ConvertCase{
            "NewBundleWithoutStatusGetsSpecDefaults",
            R"({"apiVersion": "werf.io/v1alpha1", "kind": "WerfBundle",
                "metadata": {"namespace": "shop", "name": "web", "uid": "u-1", "generation": 1,
                             "resourceVersion": "42", "labels": {"team": "payments"},
                             "creationTimestamp": "2026-01-02T03:04:05Z"},
                "spec": {"registry": {"url": "registry.example.com/shop/web", "pollInterval": "15m"},
                         "converge": {"serviceAccountName": "deployer"}}})",
            R"pb(namespace: "shop" name: "web" uid: "u-1" labels { key: "team" value: "payments" }
                 generation: 1 resource_version: "42" creation_time { seconds: 1767323045 }
                 spec { repository: "registry.example.com/shop/web" target_namespace: "shop"
                        service_account_name: "deployer" release: "web"
                        poll_interval { seconds: 900 } })pb",
            {}},
        ConvertCase{
            "FullStatus",
            R"({"metadata": {"namespace": "shop", "name": "web", "generation": 3},
                "spec": {"suspend": true,
                         "registry": {"url": "r.example/app", "versionConstraint": ">=1.2 <2",
                                      "tagFilter": "^v", "pollInterval": "1h30m"},
                         "converge": {"targetNamespace": "prod", "serviceAccountName": "sa",
                                      "release": "web-prod"}},
                "status": {"phase": "Failed", "observedGeneration": 3,
                           "latestTag": "v1.3.0", "latestDigest": "sha256:b",
                           "lastAppliedTag": "v1.2.0", "lastAppliedDigest": "sha256:a",
                           "lastSyncTime": "2026-01-02T03:04:05.250Z",
                           "lastErrorMessage": "werf exited 1", "consecutiveFailures": 5,
                           "activeJob": {"name": "web-v1-3-0-abc", "namespace": "prod",
                                         "tag": "v1.3.0", "kind": "Apply",
                                         "startedAt": "2026-01-02T03:05:00Z"},
                           "conditions": [{"type": "Ready", "status": "False", "reason": "ApplyFailed",
                                           "message": "werf exited 1", "observedGeneration": 3,
                                           "lastTransitionTime": "2026-01-02T03:04:05Z"}],
                           "history": [{"tag": "v1.3.0", "digest": "sha256:b", "jobName": "j2",
                                        "startedAt": "2026-01-02T03:00:00Z",
                                        "finishedAt": "2026-01-02T03:01:00Z",
                                        "result": "Failed", "message": "exit 1",
                                        "driftCorrection": true, "revision": 4,
                                        "reportStatus": "failed", "completedOperations": 2,
                                        "canceledOperations": 1, "failedOperations": 1,
                                        "failedOperationNames": ["create Deployment/web"],
                                        "logTail": "Error: timed out"},
                                       {"tag": "v1.2.0", "result": "Succeeded"},
                                       {"tag": "v1.1.0", "result": "Vanished"}]}})",
            R"pb(namespace: "shop" name: "web" generation: 3
                 spec { repository: "r.example/app" version_constraint: ">=1.2 <2" tag_filter: "^v"
                        target_namespace: "prod" service_account_name: "sa" release: "web-prod"
                        suspend: true poll_interval { seconds: 5400 } }
                 phase: BUNDLE_PHASE_FAILED observed_generation: 3 latest_tag: "v1.3.0"
                 last_applied_tag: "v1.2.0" last_applied_digest: "sha256:a"
                 last_sync_time { seconds: 1767323045 nanos: 250000000 }
                 last_error_message: "werf exited 1" consecutive_failures: 5
                 active_job { name: "web-v1-3-0-abc" namespace: "prod" tag: "v1.3.0"
                              started_at { seconds: 1767323100 } }
                 conditions { type: "Ready" status: "False" reason: "ApplyFailed"
                              message: "werf exited 1" observed_generation: 3
                              last_transition_time { seconds: 1767323045 } }
                 history { tag: "v1.3.0" digest: "sha256:b" job_name: "j2"
                           started_at { seconds: 1767322800 } finished_at { seconds: 1767322860 }
                           result: CONVERGE_RESULT_FAILED message: "exit 1"
                           duration { seconds: 60 } drift_correction: true revision: 4
                           report_status: "failed" completed_operations: 2 canceled_operations: 1
                           failed_operations: 1 failed_operation_names: "create Deployment/web"
                           log_tail: "Error: timed out" }
                 history { tag: "v1.2.0" result: CONVERGE_RESULT_SUCCEEDED }
                 history { tag: "v1.1.0" result: CONVERGE_RESULT_VANISHED })pb",
            {}},
        ConvertCase{
            "SyncingPhase",
            R"({"metadata": {"namespace": "a", "name": "b"},
                "spec": {"registry": {"url": "r/x"}, "converge": {"serviceAccountName": "s"}},
                "status": {"phase": "Syncing"}})",
            R"pb(namespace: "a" name: "b" phase: BUNDLE_PHASE_SYNCING
                 spec { repository: "r/x" target_namespace: "a" service_account_name: "s"
                        release: "b" })pb",
            {}},
        ConvertCase{
            "UnreadableFieldsAreLeftUnsetAndReported",
            R"({"metadata": {"namespace": "a", "name": "b", "labels": {"ok": "1", "bad": 2}},
                "spec": {"registry": {"url": 7, "pollInterval": "15"}, "converge": "nope"},
                "status": {"phase": "Exploded", "lastSyncTime": "yesterday",
                           "consecutiveFailures": -1, "conditions": ["Ready"],
                           "history": [{"tag": "v1", "result": "Maybe"}]}})",
            R"pb(namespace: "a" name: "b" labels { key: "ok" value: "1" }
                 spec { target_namespace: "a" release: "b" }
                 history { tag: "v1" })pb",
            {"metadata.labels.bad: 2 is not a string", "spec.registry.url: 7 is not a string",
             "spec.registry.pollInterval", "spec.converge: \"nope\" is not an object",
             "status.phase: \"Exploded\" is not Syncing, Synced or Failed",
             "status.lastSyncTime: \"yesterday\" is not an RFC 3339 time",
             "status.consecutiveFailures: -1 is not a count",
             "status.conditions[0]: \"Ready\" is not an object",
             "status.history[0].result: \"Maybe\" is not Succeeded, Failed or Vanished"}}),
    [](const auto& info) { return info.param.name; });

TEST(BundleFromObjectTest, RejectsObjectsThatCannotBeBundles) {
  for (const char* json : {R"([1, 2])", R"({"metadata": {"name": "x"}})",
                           R"({"metadata": {"namespace": "a"}})", R"({"metadata": "x"})"}) {
    absl::StatusOr<ConvertedBundle> converted = BundleFromObject(nlohmann::json::parse(json));
    EXPECT_EQ(converted.status().code(), absl::StatusCode::kInvalidArgument) << json;
  }
}

TEST(PhaseFromStatusTest, MapsTheCrdEnum) {
  EXPECT_EQ(PhaseFromStatus(""), pb::BUNDLE_PHASE_UNSPECIFIED);
  EXPECT_EQ(PhaseFromStatus("Syncing"), pb::BUNDLE_PHASE_SYNCING);
  EXPECT_EQ(PhaseFromStatus("Synced"), pb::BUNDLE_PHASE_SYNCED);
  EXPECT_EQ(PhaseFromStatus("Failed"), pb::BUNDLE_PHASE_FAILED);
  EXPECT_EQ(PhaseFromStatus("synced"), pb::BUNDLE_PHASE_UNSPECIFIED);
  EXPECT_EQ(ConvergeResultFromStatus("Succeeded"), pb::CONVERGE_RESULT_SUCCEEDED);
  EXPECT_EQ(ConvergeResultFromStatus(""), pb::CONVERGE_RESULT_UNSPECIFIED);
}

}  // namespace
}  // namespace werf::gateway
