// End to end: the four real binaries against the test bed's control plane (kwok
// runs the werf Jobs' pods) and its registries. Each test has its own namespaces
// and repository, so tests never see each other's bundles.
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "libs/common/testing/status_testing.h"
#include "test/integration/e2e/end_to_end_fixture.h"
#include "test/integration/e2e/operator_system.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/test_namespace.h"

namespace werf::e2e {
namespace {

using ::testing::HasSubstr;

TEST_F(EndToEndTest, DeploysHighestMatchingTagUpgradesAndIgnoresExcludedTags) {
  StartSystem();
  Push({"1.0.0", "1.2.0", "2.0.0", "1.10.0-rc.1"});
  ApplyBundle("web", "    versionConstraint: \"<2\"\n");
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  EXPECT_EQ(*Field("web", "{.status.lastAppliedTag}"), "1.2.0");
  EXPECT_EQ(*Field("web", "{.status.conditions[?(@.type==\"Ready\")].status}"), "True");
  EXPECT_EQ(Jobs("web").size(), 1u);

  // Same tag seen again on later polls: no second Job, and no status churn.
  const std::string version = *Field("web", "{.metadata.resourceVersion}");
  absl::SleepFor(absl::Seconds(6));
  EXPECT_EQ(Jobs("web").size(), 1u);
  EXPECT_EQ(*Field("web", "{.metadata.resourceVersion}"), version) << "status rewritten with nothing new";

  Push({"1.3.0"});
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.3.0"));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  EXPECT_EQ(Jobs("web").size(), 2u);
  Push({"2.1.0"});  // excluded by the constraint
  absl::SleepFor(absl::Seconds(5));
  EXPECT_EQ(*Field("web", "{.status.lastAppliedTag}"), "1.3.0");
  EXPECT_EQ(Jobs("web").size(), 2u);
  const std::string history = *Field("web", "{.status.history[*].tag}");
  EXPECT_EQ(history, "1.3.0 1.2.0");

  // What a person sees through the gateway, with grpcurl and no .proto files.
  absl::StatusOr<std::string> shown = testbed::RunCommandOk(
      {"grpcurl", "-plaintext", "-d", absl::StrCat(R"({"namespace":")", ns_, R"(","name":"web"})"),
       system_->gateway()->grpc_address(), "werf.operator.v1.BundleService/GetBundle"});
  ASSERT_TRUE(shown.ok()) << shown.status();
  const nlohmann::json bundle = nlohmann::json::parse(*shown, nullptr, false)["bundle"];
  EXPECT_EQ(bundle.value("last_applied_tag", ""), "1.3.0") << *shown;
  EXPECT_EQ(bundle.value("phase", ""), "BUNDLE_PHASE_SYNCED") << *shown;
}

TEST_F(EndToEndTest, MissingServiceAccountIsExplainedAndProgressResumesWhenCreated) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("api", "", "", "", "missing-sa");
  ASSERT_OK(WaitField("api", "{.status.conditions[?(@.type==\"Stalled\")].status}", "True"));
  EXPECT_THAT(*Field("api", "{.status.conditions[?(@.type==\"Ready\")].message}"),
              HasSubstr(absl::StrCat("ServiceAccount \"missing-sa\" not found in namespace \"", ns_, "\"")));
  EXPECT_TRUE(Jobs("api").empty());
  ASSERT_OK(Kubectl({"-n", ns_, "create", "serviceaccount", "missing-sa"}).status());
  ASSERT_OK(WaitField("api", "{.status.phase}", "Synced"));
  EXPECT_EQ(*Field("api", "{.status.lastAppliedTag}"), "1.0.0");
}

TEST_F(EndToEndTest, FailingJobIsReportedRetriedWithBackoffAndFailsAfterFive) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("broken", "",
              "    podLabels: {testbed.werf.io/fail: \"true\"}\n"
              "    podAnnotations: {testbed.werf.io/exit-code: \"3\"}\n");
  ASSERT_OK(WaitField("broken", "{.status.consecutiveFailures}", "1"));
  EXPECT_THAT(*Field("broken", "{.status.lastErrorMessage}"), HasSubstr("exit code 3"));
  ASSERT_OK(WaitField("broken", "{.status.phase}", "Failed", absl::Seconds(120)));
  EXPECT_EQ(*Field("broken", "{.status.consecutiveFailures}"), "5");
  EXPECT_EQ(Jobs("broken").size(), 5u) << "one fresh Job per attempt";

  // Fixing the bundle (no more failure label) succeeds and resets the count.
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "broken", "--type=json", "-p",
                     R"([{"op":"remove","path":"/spec/converge/podLabels"}])"})
                .status());
  ASSERT_OK(WaitField("broken", "{.status.phase}", "Synced", absl::Seconds(90)));
  EXPECT_EQ(*Field("broken", "{.status.consecutiveFailures}"), "0");
}

TEST_F(EndToEndTest, RepublishedTagRedeploys) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web");
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  const std::string first = *Field("web", "{.status.lastAppliedDigest}");
  Push({"1.0.0"});  // new content under the same tag
  ASSERT_OK(testbed::WaitFor("a redeploy of the re-published tag", [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> digest = Field("web", "{.status.lastAppliedDigest}");
    return digest.ok() && *digest != first && !digest->empty();
  }, absl::Seconds(60)));
  EXPECT_EQ(Jobs("web").size(), 2u);
}

TEST_F(EndToEndTest, SuspendStopsAndResumeContinues) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web");
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "web", "--type=merge", "-p",
                     R"({"spec":{"suspend":true}})"}).status());
  ASSERT_OK(WaitField("web", "{.status.conditions[?(@.type==\"Reconciling\")].reason}", "Suspended"));
  Push({"1.1.0"});
  absl::SleepFor(absl::Seconds(6));
  EXPECT_EQ(*Field("web", "{.status.lastAppliedTag}"), "1.0.0");
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "web", "--type=merge", "-p",
                     R"({"spec":{"suspend":false}})"}).status());
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.1.0"));
}

TEST_F(EndToEndTest, ReconcileRequestedAtPollsAtOnce) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web");
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "web", "--type=merge", "-p",
                     R"({"spec":{"registry":{"pollInterval":"1h"}}})"}).status());
  absl::SleepFor(absl::Seconds(3));  // the poller takes the new interval
  Push({"1.1.0"});
  ASSERT_OK(Kubectl({"-n", ns_, "annotate", "--overwrite", "werfbundle", "web",
                     "werf.io/reconcile-requested-at=now-1"}).status());
  ASSERT_OK(WaitField("web", "{.status.lastHandledReconcileAt}", "now-1"));
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.1.0", absl::Seconds(30)));
}

TEST_F(EndToEndTest, DeletingABundleRemovesItsJobsInEveryNamespace) {
  StartSystem({.gateway = false});
  // The target accepts this namespace's bundles running as its ServiceAccount "deployer".
  const test_support::ScopedNamespace target_namespace(
      "e2e-target", {.labels = {}, .annotations = {{"werf.io/accept-bundles-from", ns_ + "/deployer"}}});
  ASSERT_OK(target_namespace.status());
  const std::string& target = target_namespace.name();
  ASSERT_OK(Kubectl({"-n", target, "create", "serviceaccount", "deployer"}).status());
  Push({"1.0.0"});
  ApplyBundle("web", "", "", target);
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  const std::vector<std::string> jobs = Jobs("web");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_THAT(jobs[0], ::testing::StartsWith(target + "/"));
  ASSERT_OK(Kubectl({"-n", ns_, "delete", "werfbundle", "web", "--timeout=60s"}).status());
  ASSERT_OK(testbed::WaitFor("the Job to be deleted", [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> out = Kubectl({"-n", target, "get", "jobs", "-o", "name"});
    return out.ok() && out->empty();
  }, absl::Seconds(60)));
}

TEST_F(EndToEndTest, RegistryFailuresFailAfterFiveAndRecoveryResets) {
  StartSystem({.gateway = false, .poller_flags = {"--failure_backoff=1s", "--failure_backoff_max=2s"}});
  ApplyBundle("web");  // the repository does not exist yet: 404 on every poll
  ASSERT_OK(WaitField("web", "{.status.conditions[?(@.type==\"RegistryReachable\")].status}", "False"));
  EXPECT_THAT(*Field("web", "{.status.lastErrorMessage}"), HasSubstr("not found"));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Failed", absl::Seconds(60)));
  Push({"1.0.0"});
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced", absl::Seconds(60)));
  EXPECT_EQ(*Field("web", "{.status.conditions[?(@.type==\"RegistryReachable\")].status}"), "True");
}

TEST_F(EndToEndTest, ControllerKilledMidJobLeavesNoDuplicateJobAndTheRightStatus) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", kHold);
  ASSERT_OK(WaitForHeldPod(ns_));
  ASSERT_EQ(Jobs("web").size(), 1u);
  system_->controllers()[0]->Kill();
  ASSERT_TRUE(system_->AddController().ok());
  ASSERT_TRUE(system_->WaitForLeader(absl::Seconds(30)).ok());
  ASSERT_OK(system_->WaitForWorkers(1, 1, absl::Seconds(60)));
  absl::SleepFor(absl::Seconds(3));  // the new leader has reconciled with the Job still running
  EXPECT_EQ(Jobs("web").size(), 1u);
  ASSERT_OK(ReleaseHeldPods(ns_));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced", absl::Seconds(90)));
  EXPECT_EQ(*Field("web", "{.status.lastAppliedTag}"), "1.0.0");
  EXPECT_EQ(Jobs("web").size(), 1u);
}

// The converger is killed while its Job runs, and the Job finishes while none runs. The
// restarted converger leaves finished Jobs dormant; the controller, which lost its
// converger, asks again for the Job it waits on, and that adoption brings the result:
// Synced with that Job, and no second one.
TEST_F(EndToEndTest, ConvergerKilledMidJobDeliversTheResultOnceBackWithoutASecondJob) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", kHold);
  ASSERT_OK(WaitForHeldPod(ns_));
  const std::vector<std::string> jobs = Jobs("web");
  ASSERT_EQ(jobs.size(), 1u);
  system_->convergers()[0]->Kill();
  ASSERT_OK(ReleaseHeldPods(ns_));
  const std::pair<std::string, std::string> job = absl::StrSplit(jobs[0], '/');
  ASSERT_OK(testbed::WaitForJsonPath({"job", job.second, job.first},
                                     R"({.status.conditions[?(@.type=="Complete")].status})", "True",
                                     absl::Seconds(90))
                .status());
  EXPECT_EQ(*Field("web", "{.status.phase}"), "Syncing") << "nobody has told the controller yet";
  ASSERT_TRUE(system_->AddConverger().ok());
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced", absl::Seconds(90)));
  EXPECT_EQ(*Field("web", "{.status.lastAppliedTag}"), "1.0.0");
  EXPECT_EQ(*Field("web", "{.status.history[0].jobName}"), job.second);
  EXPECT_EQ(Jobs("web"), jobs);
}

TEST_F(EndToEndTest, JobDeletedByHandIsRecordedAndRetried) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", kHold);
  ASSERT_OK(WaitForHeldPod(ns_));
  const std::vector<std::string> jobs = Jobs("web");
  ASSERT_EQ(jobs.size(), 1u);
  const std::string job = std::string(absl::StripPrefix(jobs[0], ns_ + "/"));
  ASSERT_OK(Kubectl({"-n", ns_, "delete", "job", job, "--cascade=background"}).status());
  ASSERT_OK(WaitField("web", "{.status.history[0].result}", "Vanished"));
  EXPECT_THAT(*Field("web", "{.status.lastErrorMessage}"), HasSubstr("disappeared"));
  // The retry is a new Job (held too); letting it finish syncs the bundle.
  ASSERT_OK(testbed::WaitFor("the retry Job", [&]() -> absl::StatusOr<bool> {
    return Jobs("web").size() == 1 && Jobs("web")[0] != jobs[0];
  }, absl::Seconds(60)));
  ASSERT_OK(WaitForHeldPod(ns_));
  ASSERT_OK(ReleaseHeldPods(ns_));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced", absl::Seconds(60)));
  EXPECT_EQ(*Field("web", "{.status.consecutiveFailures}"), "0");
}

TEST_F(EndToEndTest, LeaderFailoverWithinLeaseAndRetry) {
  StartSystem({.controllers = 2, .gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web");
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  ServiceProcess* leader = system_->Leader();
  ASSERT_NE(leader, nullptr);
  int standbys_ready = 0;
  for (auto& controller : system_->controllers()) {
    if (controller.get() != leader && system_->Leader() != controller.get()) ++standbys_ready;
  }
  EXPECT_EQ(standbys_ready, 1) << "exactly one standby, not ready";
  const absl::Time killed = absl::Now();
  leader->Kill();
  absl::StatusOr<ServiceProcess*> successor = system_->WaitForLeader(absl::Seconds(30));
  ASSERT_TRUE(successor.ok());
  // Lease 6 s + retry 1 s (x2.2 jitter) + readiness: well under 15 s.
  EXPECT_LT(absl::Now() - killed, absl::Seconds(15));
  ASSERT_OK(system_->WaitForWorkers(1, 1, absl::Seconds(60)));
  Push({"1.1.0"});
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.1.0", absl::Seconds(60)));
}

TEST_F(EndToEndTest, RollbackByConstraintRedeploysExactlyOnce) {
  StartSystem({.gateway = false});
  Push({"1.0.0", "1.1.0"});
  ApplyBundle("web");
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.1.0"));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  ASSERT_EQ(Jobs("web").size(), 1u);
  // Back to 1.0.0: a Job of its own, although 1.0.0 could have been deployed before.
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "web", "--type=merge", "-p",
                     R"({"spec":{"registry":{"versionConstraint":"<1.1.0"}}})"}).status());
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.0.0"));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  EXPECT_EQ(Jobs("web").size(), 2u);
  EXPECT_EQ(ResourceVersionChanges("web", absl::Seconds(6)), 0) << "status rewritten with nothing new";
  EXPECT_EQ(Jobs("web").size(), 2u) << "exactly one redeploy";
  // And forward again to the tag deployed first: one more Job, not the old one adopted.
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "web", "--type=json", "-p",
                     R"([{"op":"remove","path":"/spec/registry/versionConstraint"}])"}).status());
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.1.0"));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  EXPECT_EQ(Jobs("web").size(), 3u);
  EXPECT_EQ(*Field("web", "{.status.history[*].tag}"), "1.1.0 1.0.0 1.1.0");
}

TEST_F(EndToEndTest, ValuesChangeIsSeenAtOnceAndRevertRedeploysExactlyOnce) {
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ASSERT_OK(Kubectl({"-n", ns_, "create", "configmap", "web-values", "--from-literal=values.yaml=replicas: 1"})
                .status());
  ApplyBundle("web", "    pollInterval: 1h\n", "    valuesFrom:\n      - configMapRef: {name: web-values}\n");
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  const std::string first_hash = *Field("web", "{.status.lastAppliedConfigHash}");
  ASSERT_EQ(Jobs("web").size(), 1u);
  const auto set_values = [&](const std::string& values) {
    return Kubectl({"-n", ns_, "patch", "configmap", "web-values", "--type=merge", "-p",
                    nlohmann::json({{"data", {{"values.yaml", values}}}}).dump()})
        .status();
  };
  // The ConfigMap is watched: the change redeploys well before any resync (10 min).
  ASSERT_OK(set_values("replicas: 2"));
  ASSERT_OK(testbed::WaitFor("a redeploy with the new values", [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> hash = Field("web", "{.status.lastAppliedConfigHash}");
    return hash.ok() && !hash->empty() && *hash != first_hash;
  }, absl::Seconds(30)));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  EXPECT_EQ(Jobs("web").size(), 2u);
  ASSERT_OK(set_values("replicas: 1"));
  ASSERT_OK(WaitField("web", "{.status.lastAppliedConfigHash}", first_hash, absl::Seconds(30)));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  EXPECT_EQ(ResourceVersionChanges("web", absl::Seconds(6)), 0) << "no loop after the revert";
  EXPECT_EQ(Jobs("web").size(), 3u) << "the revert is one new Job";
}

TEST_F(EndToEndTest, StatusIsQuietWhileSyncedAndDuringABackoff) {
  // A backoff longer than the test, so the window below lies inside it.
  StartSystem({.gateway = false, .controller_flags = {"--failure_backoff_base=90s", "--failure_backoff_max=10m"}});
  Push({"1.0.0"});
  ApplyBundle("web");
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  EXPECT_EQ(ResourceVersionChanges("web", absl::Seconds(30)), 0) << "a Synced bundle is rewritten";
  ApplyBundle("broken", "",
              "    podLabels: {testbed.werf.io/fail: \"true\"}\n");
  ASSERT_OK(WaitField("broken", "{.status.consecutiveFailures}", "1"));
  ASSERT_OK(WaitField("broken", "{.status.conditions[?(@.type==\"Reconciling\")].reason}", "RetryBackoff"));
  EXPECT_THAT(*Field("broken", "{.status.nextRetryTime}"), ::testing::Not(::testing::IsEmpty()));
  EXPECT_LE(ResourceVersionChanges("broken", absl::Seconds(20)), 2) << "a backoff rewrites the status";
}

TEST_F(EndToEndTest, ControllerKilledWithAJobInFlightFailsOverWithoutDuplicatesOrLoss) {
  StartSystem({.controllers = 2, .gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", kHold);
  ASSERT_OK(WaitForHeldPod(ns_));
  ASSERT_EQ(Jobs("web").size(), 1u);
  ServiceProcess* leader = system_->Leader();
  ASSERT_NE(leader, nullptr);
  leader->Kill();  // SIGKILL: no Lease release, no drain
  ASSERT_TRUE(system_->WaitForLeader(absl::Seconds(30)).ok());
  ASSERT_OK(system_->WaitForWorkers(1, 1, absl::Seconds(60)));
  absl::SleepFor(absl::Seconds(3));  // the new leader has re-requested the Job in flight
  EXPECT_EQ(Jobs("web").size(), 1u) << "the re-request adopted the running Job";
  ASSERT_OK(ReleaseHeldPods(ns_));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced", absl::Seconds(90)));
  EXPECT_EQ(*Field("web", "{.status.history[*].result}"), "Succeeded") << "the result was merged once";
  EXPECT_EQ(Jobs("web").size(), 1u);
  EXPECT_EQ(ResourceVersionChanges("web", absl::Seconds(30)), 0) << "no status-write loop after failover";
}

// Personas with real RBAC (impersonation): a tenant with only the aggregated `edit` role in
// its namespace, and a viewer. The operator runs with the base RBAC of deploy/kustomize.
TEST_F(EndToEndTest, ATenantCanDeployOnlyWhatItsNamespaceIsAllowed) {
  StartSystem({.gateway = false});
  const test_support::ScopedNamespace victim_namespace("e2e-victim");
  ASSERT_OK(victim_namespace.status());
  const std::string& victim = victim_namespace.name();
  ASSERT_OK(Kubectl({"-n", victim, "create", "serviceaccount", "admin"}).status());
  const std::string tenant = absl::StrCat("tenant-", ns_);
  const std::string viewer = absl::StrCat("viewer-", ns_);
  ASSERT_OK(Kubectl({"-n", ns_, "create", "rolebinding", "tenant-edit", "--clusterrole=edit",
                     absl::StrCat("--user=", tenant)}).status());
  ASSERT_OK(Kubectl({"-n", ns_, "create", "rolebinding", "viewer-view", "--clusterrole=view",
                     absl::StrCat("--user=", viewer)}).status());
  ASSERT_OK(testbed::WaitFor("the aggregated edit role to cover werfbundles", [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> can = Kubectl({"auth", "can-i", "create", "werfbundles.werf.io", "-n", ns_,
                                               absl::StrCat("--as=", tenant)});
    return can.ok() && absl::StripAsciiWhitespace(*can) == "yes";
  }, absl::Seconds(30)));
  const std::string secret_value = "s3cret-" + ns_;
  ASSERT_OK(Kubectl({"-n", ns_, "create", "secret", "generic", "web-secrets",
                     absl::StrCat("--from-literal=values.yaml=password: ", secret_value)}).status());
  Push({"1.0.0"});
  const auto apply_as_tenant = [&](const std::string& name, const std::string& converge) {
    const std::string yaml = absl::StrCat(
        "apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata: {name: ", name, ", namespace: ", ns_,
        "}\nspec:\n  registry:\n    url: ", registry_.host, "/", repository_,
        "\n    insecure: true\n    pollInterval: 2s\n  converge:\n", converge);
    testbed::RunOptions options;
    options.stdin_data = yaml;
    return Kubectl({absl::StrCat("--as=", tenant), "apply", "-f", "-"}, options).status();
  };
  // Into another namespace as its admin: RBAC lets the tenant write the bundle, the operator does not run it.
  ASSERT_OK(apply_as_tenant("escalate", absl::StrCat("    targetNamespace: ", victim, "\n    serviceAccountName: admin\n")));
  // Its own namespace, but an image of its choosing.
  ASSERT_OK(apply_as_tenant("miner", "    serviceAccountName: deployer\n    image: evil.example.com/miner:1\n"));
  // An honest bundle with secret values, for the viewer.
  ASSERT_OK(apply_as_tenant("web", "    serviceAccountName: deployer\n    valuesFrom:\n      - secretRef: {name: web-secrets}\n"));
  ASSERT_OK(WaitField("escalate", "{.status.conditions[?(@.type==\"Stalled\")].reason}", "TenancyViolation"));
  EXPECT_THAT(*Field("escalate", "{.status.lastErrorMessage}"),
              HasSubstr(absl::StrCat("werf.io/accept-bundles-from=", ns_, "/admin")));
  ASSERT_OK(WaitField("miner", "{.status.conditions[?(@.type==\"Stalled\")].reason}", "ImageNotAllowed"));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  absl::SleepFor(absl::Seconds(3));
  EXPECT_TRUE(Jobs("escalate").empty()) << "no Job anywhere";
  EXPECT_TRUE(Jobs("miner").empty());
  absl::StatusOr<std::string> events = Kubectl({"-n", ns_, "get", "events", "-o", "json"});
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(*events, HasSubstr("TenancyViolation")) << "a Warning Event explains it";

  // The viewer sees every bundle's status, and nothing derived from the Secret's value.
  absl::StatusOr<std::string> seen =
      Kubectl({absl::StrCat("--as=", viewer), "-n", ns_, "get", "werfbundles,events", "-o", "json"});
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_THAT(*seen, HasSubstr("TenancyViolation"));
  EXPECT_THAT(*seen, ::testing::Not(HasSubstr(secret_value)));
  for (const std::string& job : Jobs("web")) {
    std::pair<std::string, std::string> where = absl::StrSplit(job, '/');
    absl::StatusOr<std::string> spec = Kubectl({"-n", where.first, "get", "job", where.second, "-o", "json"});
    ASSERT_TRUE(spec.ok());
    EXPECT_THAT(*spec, ::testing::Not(HasSubstr(secret_value))) << "the Job carries files, not values";
  }
  for (const auto& controller : system_->controllers()) {
    std::ifstream log(controller->log_path());
    std::stringstream text;
    text << log.rdbuf();
    EXPECT_THAT(text.str(), ::testing::Not(HasSubstr(secret_value))) << "the controller log";
  }

  // The target grants the tenant's namespace its ServiceAccount: the bundle proceeds.
  ASSERT_OK(Kubectl({"annotate", "namespace", victim, absl::StrCat("werf.io/accept-bundles-from=", ns_, "/admin")})
                .status());
  ASSERT_OK(WaitField("escalate", "{.status.phase}", "Synced"));
  const std::vector<std::string> granted = Jobs("escalate");
  ASSERT_EQ(granted.size(), 1u);
  EXPECT_THAT(granted[0], ::testing::StartsWith(victim + "/"));
  (void)Kubectl({"-n", ns_, "delete", "werfbundle", "escalate", "--timeout=30s"});
}

TEST_F(EndToEndTest, PollersScaleOutAndInWithEveryRepositoryPolledByExactlyOne) {
  StartSystem({.gateway = false});
  const std::vector<std::string> apps = {"a1", "a2", "a3", "a4", "a5", "a6"};
  const std::string base_repository = repository_;
  for (const std::string& app : apps) {
    repository_ = absl::StrCat(base_repository, "-", app);
    Push({"1.0.0"});
    ApplyBundle(app);
  }
  for (const std::string& app : apps) ASSERT_OK(WaitField(app, "{.status.phase}", "Synced"));

  const auto each_exactly_once = [&]() -> absl::StatusOr<bool> {
    const std::multiset<std::string> keys = AssignmentKeys(base_repository);
    if (keys.size() != apps.size()) return false;
    return std::set<std::string>(keys.begin(), keys.end()).size() == apps.size();
  };
  ASSERT_OK(testbed::WaitFor("each repository on one poller", each_exactly_once, absl::Seconds(30)));
  ASSERT_TRUE(system_->AddPoller().ok());
  ASSERT_TRUE(system_->AddPoller().ok());
  ASSERT_OK(system_->WaitForWorkers(3, 1, absl::Seconds(30)));
  ASSERT_OK(testbed::WaitFor("rebalanced over three pollers", each_exactly_once, absl::Seconds(30)));
  int busy = 0;
  for (auto& poller : system_->pollers()) {
    absl::StatusOr<std::string> out = testbed::RunCommandOk(
        {"grpcurl", "-plaintext", poller->grpc_address(), "werf.operator.v1.PollerService/ListAssignments"});
    if (out.ok() && out->find(base_repository) != std::string::npos) ++busy;
  }
  EXPECT_GE(busy, 2) << "work spread over the new pollers";
  system_->pollers()[1]->Kill();
  system_->pollers()[2]->Kill();
  ASSERT_OK(system_->WaitForWorkers(1, 1, absl::Seconds(30)));
  ASSERT_OK(testbed::WaitFor("all repositories back on one poller", each_exactly_once, absl::Seconds(30)));
  // Still polled: a new tag reaches every bundle.
  for (const std::string& app : apps) {
    repository_ = absl::StrCat(base_repository, "-", app);
    Push({"1.1.0"});
  }
  for (const std::string& app : apps) {
    ASSERT_OK(WaitField(app, "{.status.lastAppliedTag}", "1.1.0", absl::Seconds(60)));
  }
}

// The value of a metric on a service's /metrics, summed over samples whose labels contain `label`.
double SumMetric(const ServiceProcess& service, const std::string& metric, const std::string& label) {
  httplib::Client http("http://" + service.http_address());
  httplib::Result result = http.Get("/metrics");
  if (!result) return -1;
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(result->body, '\n')) {
    if (!absl::StartsWith(line, metric + "{") && !absl::StartsWith(line, metric + " ")) continue;
    if (line.find(label) == absl::string_view::npos) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) sum += value;
  }
  return sum;
}

// Push first: the test bed's registry-anon notifies the poller's webhook receiver (its
// notifications.endpoints point at WERF_TESTBED_WEBHOOK_ADDRESS), so a push is deployed at
// once although the bundle polls only hourly.
// Bundles whose registry credentials Secrets hold the same content make the same
// requests, so they share one poll (one tag list per repository and credentials),
// whatever the Secrets are called; once the contents differ, each has its own.
TEST_F(EndToEndTest, EqualRegistryCredentialsShareOnePollUntilTheyDiffer) {
  StartSystem({.gateway = false});
  ASSERT_OK_AND_ASSIGN(registry_, testbed::GetRegistry(testbed::RegistryFlavour::kBasic));
  Push({"1.0.0"});
  for (const char* secret : {"creds-a", "creds-b"}) {
    ASSERT_OK(Kubectl({"-n", ns_, "create", "secret", "docker-registry", secret, "--docker-server=" + registry_.host,
                       "--docker-username=" + registry_.username, "--docker-password=" + registry_.password})
                  .status());
  }
  ApplyBundle("a", "    secretRef: {name: creds-a}\n");
  ApplyBundle("b", "    secretRef: {name: creds-b}\n");
  ASSERT_OK(WaitField("a", "{.status.phase}", "Synced"));
  ASSERT_OK(WaitField("b", "{.status.phase}", "Synced"));
  const auto keys_are = [&](size_t want) {
    return [&, want]() -> absl::StatusOr<bool> {
      const std::multiset<std::string> keys = AssignmentKeys(repository_);
      return keys.size() == want && std::set<std::string>(keys.begin(), keys.end()).size() == want;
    };
  };
  ASSERT_OK(testbed::WaitFor("one poll for both bundles", keys_are(1), absl::Seconds(30)));
  const std::string shared = *AssignmentKeys(repository_).begin();
  EXPECT_THAT(shared, ::testing::Not(HasSubstr("creds-"))) << "keyed by content, not by Secret name";
  EXPECT_THAT(shared, ::testing::Not(HasSubstr(registry_.password)));

  // Different content (an extra key the registry never sees): two polls, both still work.
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "secret", "creds-b", "--type=merge", "-p", R"({"stringData":{"note":"b"}})"})
                .status());
  ASSERT_OK(testbed::WaitFor("a poll each", keys_are(2), absl::Seconds(30)));
  Push({"1.1.0"});
  ASSERT_OK(WaitField("a", "{.status.lastAppliedTag}", "1.1.0"));
  ASSERT_OK(WaitField("b", "{.status.lastAppliedTag}", "1.1.0"));
}

TEST_F(EndToEndTest, ARegistryPushDeploysAtOnceThroughTheWebhookReceiver) {
  const std::string address = testbed::Env().Value("WERF_TESTBED_WEBHOOK_ADDRESS");
  const std::string token = testbed::Env().Value("WERF_TESTBED_WEBHOOK_TOKEN");
  ASSERT_FALSE(address.empty()) << "the test bed predates webhooks; run `testbed down` and up again";
  // registry-anon queued notifications of every push since it started (nobody listened),
  // and sends them all once a receiver answers: a rate high enough to take that backlog.
  StartSystem({.gateway = false,
               .poller_flags = {"--webhook_address=" + address, "--webhook_qps=1000", "--webhook_burst=100000"}});
  // One key per source the receiver serves; the others stay disabled.
  ASSERT_OK(testbed::ApplyYaml(absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: werf-operator-webhooks, namespace: werf-operator-system}\n"
      "stringData:\n  distribution: ", token, "\n  generic: e2e-generic-key\n")));
  Push({"1.0.0"});
  ASSERT_OK(testbed::ApplyYaml(absl::StrCat(
      "apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata: {name: hooked, namespace: ", ns_,
      "}\nspec:\n  registry:\n    url: ", registry_.host, "/", repository_,
      "\n    insecure: true\n    pollInterval: 1h\n  converge:\n    serviceAccountName: deployer\n")));
  ASSERT_OK(WaitField("hooked", "{.status.lastAppliedTag}", "1.0.0"));  // the first poll, on assignment
  ASSERT_OK(WaitField("hooked", "{.status.phase}", "Synced"));

  // A real push, a real notification: deployed long before the next hourly poll.
  Push({"1.1.0"});
  ASSERT_OK(WaitField("hooked", "{.status.lastAppliedTag}", "1.1.0", absl::Seconds(60)));
  EXPECT_FALSE(Field("hooked", "{.status.lastWebhookTime}")->empty());
  ServiceProcess& poller = *system_->pollers()[0];
  EXPECT_GE(SumMetric(poller, "werf_operator_webhook_events_total", "result=\"accepted\""), 1);
  EXPECT_GE(SumMetric(*system_->Leader(), "werf_operator_controller_webhook_events_total", "result=\"routed\""), 1);

  // A burst of 100 signed events for the repository (sent one after another, so it lasts
  // longer than the 500 ms quiet period) is one poll; a forged one is refused.
  httplib::Client receiver("http://" + address);
  const std::string body = absl::StrCat(R"({"registry":")", registry_.host, R"(","repository":")", repository_, R"("})");
  absl::StatusOr<std::string> signature = testbed::RunCommandOk(
      {"sh", "-c", absl::StrCat("printf %s '", body, "' | openssl dgst -sha256 -hmac e2e-generic-key -r | cut -d' ' -f1")});
  ASSERT_TRUE(signature.ok()) << signature.status();
  const std::string header = "sha256=" + std::string(absl::StripAsciiWhitespace(*signature));
  httplib::Result forged = receiver.Post("/hooks/generic", {{"X-Hub-Signature-256", "sha256=00"}}, body, "application/json");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  absl::SleepFor(absl::Seconds(2));  // the push's own poll is over
  const double polls_before = SumMetric(poller, "werf_operator_poller_polls_total", "");
  for (int i = 0; i < 100; ++i) {
    httplib::Result sent = receiver.Post("/hooks/generic", {{"X-Hub-Signature-256", header}}, body, "application/json");
    ASSERT_TRUE(sent);
    ASSERT_EQ(sent->status, 202) << sent->body;
  }
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(SumMetric(poller, "werf_operator_poller_polls_total", "") - polls_before, 1)
      << "100 events, each within the quiet period of the one before, are one poll";
  EXPECT_EQ(*Field("hooked", "{.status.lastAppliedTag}"), "1.1.0") << "an event is never trusted for the tag";
  EXPECT_EQ(Jobs("hooked").size(), 2u);
}

}  // namespace
}  // namespace werf::e2e
