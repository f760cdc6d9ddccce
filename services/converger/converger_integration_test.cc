// The converger against the real thing: the test bed's control plane, where kwok runs
// the Job pods to Succeeded or Failed (pod label testbed.werf.io/fail=true, exit code
// and termination message from annotations; see test/integration/testbed/README.md).
// The controller's side of the hub stream is TestHub, a test double of the
// controller's hub (the real one lives in services/controller).
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "libs/common/status_macros.h"
#include "libs/common/testing/status_testing.h"
#include "libs/hub/job_labels.h"
#include "libs/hub/job_name.h"
#include "libs/hub/testing/test_hub.h"
#include "services/converger/converger.h"
#include "services/converger/converger_test_support.h"
#include "services/converger/job_observation.h"
#include "services/converger/werf_cli_contract.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/admin_client.h"
#include "test/support/service_log.h"
#include "werf/operator/v1/converger_service.grpc.pb.h"

namespace werf::converger {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::werf::converger::testing::ApplyRequest;
using ::werf::converger::testing::CreateNamespace;
using ::werf::converger::testing::DeleteNamespace;
using ::werf::converger::testing::GetObject;
using ::werf::converger::testing::ListObjects;
using ::werf::converger::testing::StartConverger;
using ::werf::hub::testing::TestHub;
using nlohmann::json;

constexpr absl::Duration kJobTimeout = absl::Seconds(90);

ConvergerOptions OptionsFor(const TestHub& hub) {
  ConvergerOptions options;
  options.hub.controller_address = hub.address();
  options.hub.version = "test";
  options.hub.initial_backoff = absl::Milliseconds(200);
  options.hub.max_backoff = absl::Seconds(2);
  return options;
}

// Sends the request on the hub and waits for its acknowledgement.
absl::StatusOr<pb::Acknowledgement> Converge(TestHub& hub, const pb::ConvergeRequest& request) {
  const size_t from = hub.received_count();
  ASSIGN_OR_RETURN(const uint64_t sequence, hub.SendConverge(request));
  return hub.WaitForAck(sequence, absl::Seconds(60), from);
}

std::string JobNameOf(const pb::ConvergeRequest& request) {
  return request.job_name().empty() ? hub::JobNameForRequest(request) : request.job_name();
}

std::vector<std::string> ArgsOf(const json& job) {
  return job["spec"]["template"]["spec"]["containers"][0]["args"].get<std::vector<std::string>>();
}

// One in-process converger and one TestHub for the whole suite: start-up (informer
// sync, dial) happens once.
class ConvergerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<TestHub>> hub = TestHub::Start();
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = hub->release();
    absl::StatusOr<std::shared_ptr<kube::RestClient>> client = test_support::AdminClient();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = new std::shared_ptr<kube::RestClient>(*client);
    absl::StatusOr<std::unique_ptr<Converger>> converger = Converger::Create(*client_, OptionsFor(*hub_));
    ASSERT_TRUE(converger.ok()) << converger.status();
    converger_ = converger->release();
    converger_->Start();
    ASSERT_OK(hub_->WaitForStreams(1, absl::Seconds(60)));
  }
  static void TearDownTestSuite() {
    if (converger_ != nullptr) converger_->Stop();
    delete converger_;
    delete hub_;
    delete client_;
    converger_ = nullptr;
    hub_ = nullptr;
    client_ = nullptr;
  }

  void TearDown() override {
    for (const std::string& ns : namespaces_) DeleteNamespace(ns);
  }

  // A fresh namespace with the werf ServiceAccount, deleted after the test.
  std::string Namespace(absl::string_view prefix, const test_support::NamespaceOptions& options = {}) {
    std::string ns = testbed::UniqueName(prefix);
    const absl::Status created = CreateNamespace(ns, options);
    EXPECT_TRUE(created.ok()) << created;
    namespaces_.push_back(ns);
    return ns;
  }

  // An apply request of a real WerfBundle `name` in `ns` that deploys into `ns` (so the
  // Job is owned by the bundle, and must be: the garbage collector removes orphans).
  static pb::ConvergeRequest OwnedRequest(const std::string& ns, const std::string& name, const std::string& tag) {
    pb::ConvergeRequest request = ApplyRequest(ns, name, ns, tag);
    absl::StatusOr<std::string> uid = testing::CreateBundle(ns, name);
    EXPECT_TRUE(uid.ok()) << uid.status();
    if (uid.ok()) request.mutable_bundle()->set_uid(*uid);
    return request;
  }

  static TestHub* hub_;
  static std::shared_ptr<kube::RestClient>* client_;
  static Converger* converger_;
  std::vector<std::string> namespaces_;
};

TestHub* ConvergerTest::hub_ = nullptr;
std::shared_ptr<kube::RestClient>* ConvergerTest::client_ = nullptr;
Converger* ConvergerTest::converger_ = nullptr;

TEST_F(ConvergerTest, SuccessfulApplyIsReportedWithItsDeployReport) {
  const std::string ns = Namespace("cv-ok");
  pb::ConvergeRequest request = OwnedRequest(ns, "shop", "1.0.0");
  (*request.mutable_pod_annotations())["testbed.werf.io/termination-message"] =
      R"({"release":"shop","namespace":")" + ns + R"(","status":"deployed"})";
  const std::string job_name = JobNameOf(request);
  const size_t from = hub_->received_count();

  ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub_, request));
  EXPECT_TRUE(ack.accepted()) << ack.message();
  ASSERT_OK_AND_ASSIGN(auto done, hub_->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, kJobTimeout, from));
  EXPECT_EQ(done.job_namespace(), ns);
  EXPECT_EQ(done.bundle().namespace_(), ns);
  EXPECT_EQ(done.bundle().name(), "shop");
  EXPECT_EQ(done.bundle().uid(), request.bundle().uid());
  EXPECT_EQ(done.kind(), pb::JOB_KIND_APPLY);
  EXPECT_EQ(done.exit_code(), 0);
  EXPECT_EQ(done.deploy_report().status(), "deployed");
  EXPECT_THAT(done.deploy_report().raw_json(), HasSubstr(R"("release":"shop")"));
  EXPECT_EQ(done.tag(), "1.0.0");
  EXPECT_EQ(done.digest(), request.digest());
  EXPECT_EQ(done.config_hash(), request.config_hash());
  EXPECT_TRUE(done.has_started_at());
  EXPECT_TRUE(done.has_finished_at());
  // kwok has no kubelet log endpoint: no tail, and the message says why.
  EXPECT_EQ(done.log_tail(), "");
  EXPECT_THAT(done.message(), HasSubstr("logs unavailable"));

  ASSERT_OK_AND_ASSIGN(auto job, GetObject("job", ns, job_name));
  EXPECT_EQ(job["metadata"]["labels"]["werf.io/bundle"], "shop");
  EXPECT_EQ(job["metadata"]["labels"]["app.kubernetes.io/managed-by"], "werf-operator");
  EXPECT_EQ(job["metadata"]["annotations"]["werf.io/tag"], "1.0.0");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["kind"], "WerfBundle");
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 7 * 86400);
  EXPECT_THAT(ArgsOf(job), Contains("apply"));
  // The Job as the API server stored it still speaks werf's CLI.
  ASSERT_OK(CheckWerfArgs(ArgsOf(job)));
  EXPECT_EQ(job["spec"]["template"]["spec"]["containers"][0]["terminationMessagePolicy"], "FallbackToLogsOnError");

  const pb::ListJobsResponse listed = converger_->ListJobs();
  EXPECT_TRUE(listed.connected());
  bool found = false;
  for (const pb::JobObservation& observation : listed.jobs()) {
    if (observation.job_name() == job_name) {
      found = true;
      EXPECT_EQ(observation.phase(), pb::JOB_PHASE_SUCCEEDED);
    }
  }
  EXPECT_TRUE(found) << listed.DebugString();
}

TEST_F(ConvergerTest, FailedApplyReportsTheExitCodeAndReason) {
  const std::string ns = Namespace("cv-fail");
  pb::ConvergeRequest request = OwnedRequest(ns, "shop", "1.0.1");
  (*request.mutable_pod_labels())["testbed.werf.io/fail"] = "true";
  (*request.mutable_pod_annotations())["testbed.werf.io/exit-code"] = "3";
  (*request.mutable_pod_annotations())["testbed.werf.io/termination-message"] = R"({"status":"failed"})";
  const size_t from = hub_->received_count();

  ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub_, request));
  EXPECT_TRUE(ack.accepted()) << ack.message();
  ASSERT_OK_AND_ASSIGN(auto failed, hub_->WaitForJob(JobNameOf(request), pb::JOB_PHASE_FAILED, kJobTimeout, from));
  EXPECT_EQ(failed.exit_code(), 3);
  EXPECT_EQ(failed.deploy_report().status(), "failed");
  EXPECT_THAT(failed.message(), HasSubstr("werf exited with code 3"));
  EXPECT_THAT(failed.message(), HasSubstr("BackoffLimitExceeded"));
  EXPECT_TRUE(failed.has_finished_at());
}

TEST_F(ConvergerTest, NoSecretValueAppearsInTheJobOrItsPod) {
  const std::string ns = Namespace("cv-secret");
  const std::string values_secret = "values-" + testbed::UniqueName("s3cr3t");
  const std::string registry_password = "pw-" + testbed::UniqueName("hunter2");
  const std::string docker_config =
      R"({"auths":{"registry.example.com":{"auth":")" + absl::Base64Escape("werf:" + registry_password) + R"("}}})";
  const std::string values_file = "database:\n  password: " + values_secret + "\n";
  ASSERT_OK(testbed::ApplyYaml(absl::StrCat(R"(apiVersion: v1
kind: Secret
metadata: {name: app-secrets, namespace: )", ns, R"(}
stringData:
  values.yaml: |
    database:
      password: )", values_secret, R"(
---
apiVersion: v1
kind: Secret
metadata: {name: registry-pull, namespace: )", ns, R"(}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: )", absl::Base64Escape(docker_config), R"(
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-values, namespace: )", ns, R"(}
data:
  values.yaml: "replicas: 2\n"
)")));
  pb::ConvergeRequest request = OwnedRequest(ns, "shop", "1.1.0");
  pb::ValuesSource* plain = request.add_values_from();
  plain->set_kind(pb::VALUES_SOURCE_KIND_CONFIG_MAP);
  plain->mutable_object()->set_name("app-values");
  pb::ValuesSource* secret = request.add_values_from();
  secret->set_kind(pb::VALUES_SOURCE_KIND_SECRET);
  secret->mutable_object()->set_name("app-secrets");
  request.mutable_access()->mutable_credentials_secret()->set_name("registry-pull");
  const std::string job_name = JobNameOf(request);
  const size_t from = hub_->received_count();

  ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub_, request));
  ASSERT_TRUE(ack.accepted()) << ack.message();
  ASSERT_OK(hub_->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, kJobTimeout, from).status());

  ASSERT_OK_AND_ASSIGN(auto job, GetObject("job", ns, job_name));
  ASSERT_OK_AND_ASSIGN(auto pods, ListObjects("pods", ns, "job-name=" + job_name));
  ASSERT_EQ(pods.size(), 1u);
  const std::string job_text = job.dump();
  const std::string pod_text = pods[0].dump();
  for (const std::string& secret_text :
       {values_secret, registry_password, absl::Base64Escape(values_file), absl::Base64Escape(docker_config),
        absl::Base64Escape("werf:" + registry_password)}) {
    EXPECT_THAT(job_text, Not(HasSubstr(secret_text)));
    EXPECT_THAT(pod_text, Not(HasSubstr(secret_text)));
  }
  EXPECT_THAT(ArgsOf(job), Contains("/werf/values/1.yaml"));
  const json& env = job["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_THAT(env.dump(), HasSubstr(R"("name":"DOCKER_CONFIG","value":"/werf/docker")"));

  // The material did travel: in the per-Job Secret, owned by the Job.
  ASSERT_OK_AND_ASSIGN(auto carrier, GetObject("secret", ns, job_name));
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(carrier["data"]["values-1.yaml"].get<std::string>(), &decoded));
  EXPECT_EQ(decoded, values_file);
  ASSERT_TRUE(absl::Base64Unescape(carrier["data"]["config.json"].get<std::string>(), &decoded));
  EXPECT_EQ(decoded, docker_config);
  ASSERT_TRUE(absl::Base64Unescape(carrier["data"]["values-0.yaml"].get<std::string>(), &decoded));
  EXPECT_EQ(decoded, "replicas: 2\n");
  ASSERT_EQ(carrier["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(carrier["metadata"]["ownerReferences"][0]["kind"], "Job");
  EXPECT_EQ(carrier["metadata"]["ownerReferences"][0]["uid"], job["metadata"]["uid"]);
}

TEST_F(ConvergerTest, ValuesFromTheBundleNamespaceReachAJobInAnotherNamespace) {
  const std::string bundle_ns = Namespace("cv-bundle");
  // The target accepts the bundle namespace's bundles as werf-deploy (libs/api/tenancy.h).
  const std::string target_ns = Namespace(
      "cv-target", {.labels = {}, .annotations = {{"werf.io/accept-bundles-from", bundle_ns + "/werf-deploy"}}});
  ASSERT_OK(testbed::ApplyYaml(absl::StrCat(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: base, namespace: )", bundle_ns, R"(}
data:
  custom.yaml: "replicas: 3\n"
---
apiVersion: v1
kind: Secret
metadata: {name: overrides, namespace: )", bundle_ns, R"(}
stringData:
  values.yaml: "token: from-the-bundle-namespace\n"
)")));
  pb::ConvergeRequest request = ApplyRequest(bundle_ns, "shop", target_ns, "2.0.0");
  pb::ValuesSource* base = request.add_values_from();
  base->set_kind(pb::VALUES_SOURCE_KIND_CONFIG_MAP);
  base->mutable_object()->set_name("base");
  base->set_key("custom.yaml");
  pb::ValuesSource* absent = request.add_values_from();
  absent->set_kind(pb::VALUES_SOURCE_KIND_CONFIG_MAP);
  absent->mutable_object()->set_name("not-there");
  absent->set_optional(true);
  pb::ValuesSource* overrides = request.add_values_from();
  overrides->set_kind(pb::VALUES_SOURCE_KIND_SECRET);
  overrides->mutable_object()->set_name("overrides");
  const std::string job_name = JobNameOf(request);
  const size_t from = hub_->received_count();

  ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub_, request));
  ASSERT_TRUE(ack.accepted()) << ack.message();
  ASSERT_OK_AND_ASSIGN(auto done, hub_->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, kJobTimeout, from));
  EXPECT_EQ(done.job_namespace(), target_ns);
  EXPECT_EQ(done.bundle().namespace_(), bundle_ns);

  ASSERT_OK_AND_ASSIGN(auto job, GetObject("job", target_ns, job_name));
  EXPECT_FALSE(job["metadata"].contains("ownerReferences")) << "no owner across namespaces";
  EXPECT_EQ(job["metadata"]["labels"]["werf.io/bundle-namespace"], bundle_ns);
  const std::vector<std::string> args = ArgsOf(job);
  EXPECT_THAT(args, Contains("/werf/values/0.yaml"));
  EXPECT_THAT(args, Contains("/werf/values/1.yaml"));
  EXPECT_THAT(args, Not(Contains("/werf/values/2.yaml"))) << "the missing optional source is skipped";
  ASSERT_OK_AND_ASSIGN(auto carrier, GetObject("secret", target_ns, job_name));
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(carrier["data"]["values-0.yaml"].get<std::string>(), &decoded));
  EXPECT_EQ(decoded, "replicas: 3\n");
  ASSERT_TRUE(absl::Base64Unescape(carrier["data"]["values-1.yaml"].get<std::string>(), &decoded));
  EXPECT_EQ(decoded, "token: from-the-bundle-namespace\n");

  // A required source that is missing is refused with a message naming it.
  pb::ConvergeRequest broken = ApplyRequest(bundle_ns, "other", target_ns, "2.0.0");
  pb::ValuesSource* required = broken.add_values_from();
  required->set_kind(pb::VALUES_SOURCE_KIND_CONFIG_MAP);
  required->mutable_object()->set_name("nope");
  ASSERT_OK_AND_ASSIGN(auto refused, Converge(*hub_, broken));
  EXPECT_FALSE(refused.accepted());
  EXPECT_THAT(refused.message(), HasSubstr("ConfigMap \"nope\" not found in namespace \"" + bundle_ns + "\""));
  EXPECT_FALSE(GetObject("job", target_ns, JobNameOf(broken)).ok());
}

TEST_F(ConvergerTest, DriftChecksMapExitCodesToResults) {
  const std::string ns = Namespace("cv-drift");
  struct Case {
    const char* bundle;
    const char* exit_code;  // nullptr: the pod succeeds
    pb::JobPhase phase;
    pb::DriftResult drift;
  };
  const Case cases[] = {{"in-sync", nullptr, pb::JOB_PHASE_SUCCEEDED, pb::DRIFT_RESULT_IN_SYNC},
                        {"drifted", "2", pb::JOB_PHASE_SUCCEEDED, pb::DRIFT_RESULT_DRIFTED},
                        {"broken", "1", pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_ERROR}};
  std::vector<std::string> names;
  const size_t from = hub_->received_count();
  for (const Case& c : cases) {
    pb::ConvergeRequest request = OwnedRequest(ns, c.bundle, "3.0.0");
    request.set_kind(pb::JOB_KIND_DRIFT_CHECK);
    // As the controller names drift checks: the check's time bucket as the attempt.
    request.set_job_name(hub::JobNameForRequest(request, /*attempt=*/30000000));
    if (c.exit_code != nullptr) {
      (*request.mutable_pod_labels())["testbed.werf.io/fail"] = "true";
      (*request.mutable_pod_annotations())["testbed.werf.io/exit-code"] = c.exit_code;
    }
    ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub_, request));
    ASSERT_TRUE(ack.accepted()) << ack.message();
    names.push_back(request.job_name());
  }
  for (size_t i = 0; i < std::size(cases); ++i) {
    ASSERT_OK_AND_ASSIGN(auto done, hub_->WaitForJob(names[i], cases[i].phase, kJobTimeout, from));
    EXPECT_EQ(done.kind(), pb::JOB_KIND_DRIFT_CHECK) << cases[i].bundle;
    EXPECT_EQ(done.drift(), cases[i].drift) << cases[i].bundle;
  }
  ASSERT_OK_AND_ASSIGN(auto drifted, hub_->WaitForJob(names[1], pb::JOB_PHASE_SUCCEEDED, kJobTimeout, from));
  EXPECT_EQ(drifted.exit_code(), 2);
  EXPECT_THAT(drifted.message(), HasSubstr("differs"));
  ASSERT_OK_AND_ASSIGN(auto job, GetObject("job", ns, names[1]));
  const std::vector<std::string> args = ArgsOf(job);
  ASSERT_GE(args.size(), 3u);
  EXPECT_EQ(args[0], "bundle");
  EXPECT_EQ(args[1], "plan");
  EXPECT_EQ(args[2], "--exit-code");
  ASSERT_OK(CheckWerfArgs(args));
  EXPECT_EQ(job["metadata"]["labels"]["werf.io/job-kind"], "drift-check");
}

// Checks every few minutes would keep dozens of finished Jobs per bundle until their TTL:
// only the newest drift_checks_kept (3) stay, and the bundle's apply Job is not touched.
TEST_F(ConvergerTest, OnlyTheNewestDriftChecksOfABundleAreKept) {
  const std::string ns = Namespace("cv-drift-kept");
  pb::ConvergeRequest apply = OwnedRequest(ns, "kept", "3.0.0");
  const size_t from = hub_->received_count();
  ASSERT_OK_AND_ASSIGN(auto applied, Converge(*hub_, apply));
  ASSERT_TRUE(applied.accepted()) << applied.message();
  ASSERT_OK(hub_->WaitForJob(JobNameOf(apply), pb::JOB_PHASE_SUCCEEDED, kJobTimeout, from).status());
  std::vector<std::string> checks;
  for (int attempt = 0; attempt < 5; ++attempt) {
    pb::ConvergeRequest check = apply;
    check.set_kind(pb::JOB_KIND_DRIFT_CHECK);
    check.set_job_name(hub::JobNameForRequest(check, /*attempt=*/40000000 + attempt));
    ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub_, check));
    ASSERT_TRUE(ack.accepted()) << ack.message();
    ASSERT_OK(hub_->WaitForJob(check.job_name(), pb::JOB_PHASE_SUCCEEDED, kJobTimeout, from).status());
    checks.push_back(check.job_name());
    // Distinct creation seconds, so "newest" is the order they were made in.
    absl::SleepFor(absl::Milliseconds(1100));
  }
  std::vector<std::string> left;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(60); absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(500))) {
    ASSERT_OK_AND_ASSIGN(auto jobs, ListObjects("jobs", ns, "werf.io/job-kind=drift-check"));
    left.clear();
    for (const json& job : jobs) {
      if (!job["metadata"].contains("deletionTimestamp")) left.push_back(job["metadata"]["name"]);
    }
    if (left.size() <= 3) break;
  }
  EXPECT_THAT(left, ::testing::UnorderedElementsAre(checks[2], checks[3], checks[4]));
  EXPECT_TRUE(GetObject("job", ns, JobNameOf(apply)).ok()) << "the apply Job stays";
}

TEST_F(ConvergerTest, RequestsOutsideTheTenancyModelAreRefusedAndNothingIsCopied) {
  const std::string bundle_ns = Namespace("cv-tenant");
  const std::string other_ns = Namespace("cv-victim");
  ASSERT_OK(testbed::ApplyYaml(absl::StrCat(R"(apiVersion: v1
kind: Secret
metadata: {name: crown-jewels, namespace: )", other_ns, R"(}
stringData:
  values.yaml: "password: do-not-copy-me\n"
)")));
  // Straight onto the hub stream, as if the controller had not checked: a values
  // Secret of another namespace.
  pb::ConvergeRequest stolen = ApplyRequest(bundle_ns, "thief", bundle_ns, "1.0.0");
  pb::ValuesSource* values = stolen.add_values_from();
  values->set_kind(pb::VALUES_SOURCE_KIND_SECRET);
  values->mutable_object()->set_namespace_(other_ns);
  values->mutable_object()->set_name("crown-jewels");
  ASSERT_OK_AND_ASSIGN(auto refused, Converge(*hub_, stolen));
  EXPECT_FALSE(refused.accepted());
  EXPECT_THAT(refused.message(), HasSubstr(absl::StrCat("names Secret \"", other_ns, "/crown-jewels\"")));
  EXPECT_FALSE(GetObject("secret", bundle_ns, JobNameOf(stolen)).ok()) << "nothing was copied";
  EXPECT_FALSE(GetObject("job", bundle_ns, JobNameOf(stolen)).ok());

  // Into another namespace, as its ServiceAccount, without a grant.
  pb::ConvergeRequest escalation = ApplyRequest(bundle_ns, "climber", other_ns, "1.0.0");
  ASSERT_OK_AND_ASSIGN(auto refused_target, Converge(*hub_, escalation));
  EXPECT_FALSE(refused_target.accepted());
  EXPECT_THAT(refused_target.message(), HasSubstr("werf.io/accept-bundles-from"));
  EXPECT_FALSE(GetObject("job", other_ns, JobNameOf(escalation)).ok());

  // An image of the tenant's choosing.
  pb::ConvergeRequest miner = ApplyRequest(bundle_ns, "miner", bundle_ns, "1.0.0");
  miner.set_image("evil.example.com/miner:1");
  ASSERT_OK_AND_ASSIGN(auto refused_image, Converge(*hub_, miner));
  EXPECT_FALSE(refused_image.accepted());
  EXPECT_THAT(refused_image.message(), HasSubstr("spec.converge.image"));
}

TEST_F(ConvergerTest, RequestsForBundlesThatAreGoneOrGoingAreRefused) {
  const std::string ns = Namespace("cv-gone");
  // Deleted (or never there): a request still on its way must not create a Job.
  pb::ConvergeRequest gone = ApplyRequest(ns, "gone", ns, "1.0.0");
  ASSERT_OK(testbed::Kubectl({"-n", ns, "delete", "werfbundle", "gone"}).status());
  ASSERT_OK_AND_ASSIGN(auto refused, Converge(*hub_, gone));
  EXPECT_FALSE(refused.accepted());
  EXPECT_THAT(refused.message(), HasSubstr(absl::StrCat("WerfBundle ", ns, "/gone no longer exists")));
  EXPECT_FALSE(GetObject("job", ns, JobNameOf(gone)).ok());

  // Re-created under the same name: the old request's uid is not the bundle's.
  pb::ConvergeRequest stale = ApplyRequest(ns, "again", ns, "1.0.0");
  stale.mutable_bundle()->set_uid("uid-of-a-predecessor");
  ASSERT_OK_AND_ASSIGN(auto refused_stale, Converge(*hub_, stale));
  EXPECT_FALSE(refused_stale.accepted());
  EXPECT_THAT(refused_stale.message(), HasSubstr("was deleted and created again"));

  // Being deleted (a finalizer holds it): refused too.
  pb::ConvergeRequest going = ApplyRequest(ns, "going", ns, "1.0.0");
  ASSERT_OK(testbed::Kubectl({"-n", ns, "patch", "werfbundle", "going", "--type=merge", "-p",
                              R"({"metadata":{"finalizers":["test.werf.io/hold"]}})"}).status());
  ASSERT_OK(testbed::Kubectl({"-n", ns, "delete", "werfbundle", "going", "--wait=false"}).status());
  ASSERT_OK_AND_ASSIGN(auto refused_going, Converge(*hub_, going));
  EXPECT_FALSE(refused_going.accepted());
  EXPECT_THAT(refused_going.message(), HasSubstr("is being deleted"));
  EXPECT_FALSE(GetObject("job", ns, JobNameOf(going)).ok());
  ASSERT_OK(testbed::Kubectl({"-n", ns, "patch", "werfbundle", "going", "--type=merge", "-p",
                              R"({"metadata":{"finalizers":null}})"}).status());
}

TEST_F(ConvergerTest, ABundleWithARunningJobGetsNoSecondOne) {
  const std::string ns = Namespace("cv-dedup");
  // 2000 CPUs fit no kwok node (1000 each): the pod stays Pending, the Job stays running.
  pb::ConvergeRequest first = OwnedRequest(ns, "shop", "4.0.0");
  first.mutable_resources()->set_cpu("2000");
  const std::string first_name = JobNameOf(first);
  const size_t from = hub_->received_count();
  ASSERT_OK_AND_ASSIGN(auto first_ack, Converge(*hub_, first));
  ASSERT_TRUE(first_ack.accepted()) << first_ack.message();

  pb::ConvergeRequest second = ApplyRequest(ns, "shop", ns, "4.0.1");
  second.mutable_bundle()->set_uid(first.bundle().uid());
  ASSERT_OK_AND_ASSIGN(auto refused, Converge(*hub_, second));
  EXPECT_FALSE(refused.accepted());
  EXPECT_THAT(refused.message(), HasSubstr(first_name));

  ASSERT_OK(hub_->WaitForJob(first_name, pb::JOB_PHASE_RUNNING, kJobTimeout, from).status());
  // The same request again (a controller re-sending after a restart) is its own Job: adopted.
  ASSERT_OK_AND_ASSIGN(auto again, Converge(*hub_, first));
  EXPECT_TRUE(again.accepted()) << again.message();
  ASSERT_OK_AND_ASSIGN(auto refused_again, Converge(*hub_, second));
  EXPECT_FALSE(refused_again.accepted());
  ASSERT_OK_AND_ASSIGN(auto jobs, ListObjects("jobs", ns, hub::BundleJobsSelector(ns, "shop")));
  EXPECT_EQ(jobs.size(), 1u);

  // Deleted by hand before it finished: reported as vanished, and the bundle is free again.
  const size_t before_delete = hub_->received_count();
  ASSERT_OK(testbed::Kubectl({"delete", "job", first_name, "-n", ns, "--cascade=background"}).status());
  ASSERT_OK_AND_ASSIGN(auto vanished, hub_->WaitForJob(first_name, pb::JOB_PHASE_VANISHED, kJobTimeout, before_delete));
  EXPECT_THAT(vanished.message(), HasSubstr("deleted before it finished"));
  const size_t before_second = hub_->received_count();
  ASSERT_OK_AND_ASSIGN(auto accepted, Converge(*hub_, second));
  EXPECT_TRUE(accepted.accepted()) << accepted.message();
  ASSERT_OK(hub_->WaitForJob(JobNameOf(second), pb::JOB_PHASE_SUCCEEDED, kJobTimeout, before_second).status());
}

TEST_F(ConvergerTest, AForeignJobUnderTheDeterministicNameIsNeitherAdoptedNorTouched) {
  const std::string ns = Namespace("cv-foreign");
  pb::ConvergeRequest request = OwnedRequest(ns, "shop", "4.5.0");
  const std::string job_name = JobNameOf(request);
  ASSERT_OK(testbed::ApplyYaml(absl::StrCat("apiVersion: batch/v1\nkind: Job\nmetadata: {name: ", job_name,
                                            ", namespace: ", ns, "}\nspec:\n  template:\n    spec:\n"
                                            "      restartPolicy: Never\n      containers: [{name: x, image: x}]\n")));
  ASSERT_OK_AND_ASSIGN(auto refused, Converge(*hub_, request));
  EXPECT_FALSE(refused.accepted());
  EXPECT_THAT(refused.message(), HasSubstr("is not a werf-operator object of this bundle"));
  ASSERT_OK_AND_ASSIGN(auto job, GetObject("job", ns, job_name));
  EXPECT_FALSE(job["metadata"].contains("labels") && job["metadata"]["labels"].contains("werf.io/bundle"));
}

TEST_F(ConvergerTest, ANewHubStreamReceivesTheLatestObservationOfEveryJob) {
  const std::string ns = Namespace("cv-resend");
  pb::ConvergeRequest request = OwnedRequest(ns, "shop", "5.0.0");
  const std::string job_name = JobNameOf(request);
  const size_t from = hub_->received_count();
  ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub_, request));
  ASSERT_TRUE(ack.accepted()) << ack.message();
  ASSERT_OK(hub_->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, kJobTimeout, from).status());

  // A controller restart: the stream drops, the converger dials again and re-announces.
  const int streams = hub_->streams_welcomed();
  const size_t before_drop = hub_->received_count();
  hub_->DropStreams();
  ASSERT_OK(hub_->WaitForStreams(streams + 1, absl::Seconds(30)));
  ASSERT_OK(hub_->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, absl::Seconds(30), before_drop).status());
}

// ttlSecondsAfterFinished is set, and the ttl-after-finished controller removes the
// Job, and garbage collection its Secret. A converger of its own with a tiny TTL.
TEST_F(ConvergerTest, TtlRemovesTheFinishedJobAndItsSecret) {
  ASSERT_OK_AND_ASSIGN(auto hub, TestHub::Start());
  ConvergerOptions options = OptionsFor(*hub);
  options.builder.ttl_seconds_override = 2;
  ASSERT_OK_AND_ASSIGN(auto converger, Converger::Create(*client_, options));
  converger->Start();
  ASSERT_OK(hub->WaitForStreams(1, absl::Seconds(60)));

  const std::string ns = Namespace("cv-ttl");
  ASSERT_OK(testbed::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v, namespace: ", ns,
                                            "}\ndata:\n  values.yaml: \"a: 1\\n\"\n")));
  pb::ConvergeRequest request = OwnedRequest(ns, "shop", "6.0.0");
  pb::ValuesSource* values = request.add_values_from();
  values->set_kind(pb::VALUES_SOURCE_KIND_CONFIG_MAP);
  values->mutable_object()->set_name("v");
  const std::string job_name = JobNameOf(request);
  ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub, request));
  ASSERT_TRUE(ack.accepted()) << ack.message();
  ASSERT_OK_AND_ASSIGN(auto job, GetObject("job", ns, job_name));
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 2);
  ASSERT_OK(hub->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, kJobTimeout).status());

  ASSERT_OK(testbed::WaitForDeleted({"job", job_name, ns}, absl::Seconds(60)));
  ASSERT_OK(testbed::WaitForDeleted({"secret", job_name, ns}, absl::Seconds(60)));
  // A finished Job that is removed is not news: no VANISHED.
  absl::SleepFor(absl::Seconds(2));
  EXPECT_FALSE(hub->WaitForJob(job_name, pb::JOB_PHASE_VANISHED, absl::Milliseconds(10)).ok());
  converger->Stop();
}

// kill -9 of the real binary right after it created a Job; the Job finishes while no
// converger runs; the restarted converger leaves the finished Job dormant (no pods, log
// or Secret read) until the request is sent again, as the controller does when a
// converger goes away; then it adopts the Job, reports its result and creates no
// second one.
TEST_F(ConvergerTest, KillDashNineMidJobThenRestartLosesNothingAndDuplicatesNothing) {
  ASSERT_OK_AND_ASSIGN(auto hub, TestHub::Start());
  const std::vector<std::string> args = {"--kubeconfig=" + testbed::Env().Value("KUBECONFIG"),
                                         "--controller_address=" + hub->address()};
  ASSERT_OK_AND_ASSIGN(auto first, StartConverger(WERF_CONVERGER_BINARY, args));
  ASSERT_OK(hub->WaitForStreams(1, absl::Seconds(60)));

  const std::string ns = Namespace("cv-kill");
  pb::ConvergeRequest request = OwnedRequest(ns, "shop", "7.0.0");
  (*request.mutable_pod_annotations())["testbed.werf.io/termination-message"] = R"({"status":"deployed"})";
  const std::string job_name = JobNameOf(request);
  ASSERT_OK_AND_ASSIGN(auto ack, Converge(*hub, request));
  ASSERT_TRUE(ack.accepted()) << ack.message();
  first->Kill();
  // Mid-Job indeed: kwok takes about a second to run a pod to completion.
  ASSERT_OK_AND_ASSIGN(auto at_kill, GetObject("job", ns, job_name));
  EXPECT_EQ(StateOfJob(at_kill) == JobState::kSucceeded, false) << "the Job finished before the kill";

  ASSERT_OK(testbed::WaitForJsonPath({"job", job_name, ns}, R"({.status.conditions[?(@.type=="Complete")].status})",
                                     "True", kJobTimeout)
                .status());
  const size_t before_restart = hub->received_count();
  ASSERT_OK_AND_ASSIGN(auto second, StartConverger(WERF_CONVERGER_BINARY, args));
  ASSERT_OK(hub->WaitForStreams(2, absl::Seconds(60)));
  ASSERT_EQ(hub->hellos().size(), 2u);
  EXPECT_NE(hub->hellos()[0].worker_id(), hub->hellos()[1].worker_id());
  // Dormant: nobody asked for it yet.
  EXPECT_FALSE(hub->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, absl::Seconds(3), before_restart).ok());

  ASSERT_OK_AND_ASSIGN(auto again, Converge(*hub, request));
  EXPECT_TRUE(again.accepted()) << again.message();
  ASSERT_OK_AND_ASSIGN(auto done, hub->WaitForJob(job_name, pb::JOB_PHASE_SUCCEEDED, kJobTimeout, before_restart));
  EXPECT_EQ(done.deploy_report().status(), "deployed");
  ASSERT_OK_AND_ASSIGN(auto jobs, ListObjects("jobs", ns, hub::BundleJobsSelector(ns, "shop")));
  EXPECT_EQ(jobs.size(), 1u);

  // ListJobs over gRPC, as an operator would ask with grpcurl.
  ASSERT_OK_AND_ASSIGN(auto serving, test_support::WaitForLogRecord(*second, "serving", absl::Seconds(10)));
  auto stub = pb::ConvergerService::NewStub(
      grpc::CreateChannel(serving["grpc_address"].get<std::string>(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  pb::ListJobsResponse listed;
  ASSERT_TRUE(stub->ListJobs(&context, pb::ListJobsRequest(), &listed).ok());
  EXPECT_TRUE(listed.connected());
  bool found = false;
  for (const pb::JobObservation& observation : listed.jobs()) found |= observation.job_name() == job_name;
  EXPECT_TRUE(found) << listed.DebugString();

  EXPECT_EQ(second->Terminate(absl::Seconds(15)), 0);
}

}  // namespace
}  // namespace werf::converger
