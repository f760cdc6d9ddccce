// The converger's werf Jobs, run for real against the test bed's API server and registries, with
// the werf stand-in (werf-standin/, nelm + oras) as werf: the Job is built by the converger's
// own JobBuilder from a ConvergeRequest and inputs read by its own ReadJobInputs from real
// ConfigMaps and Secrets, and its container runs as a host process with exactly that command,
// args, env and mounted files (local_job.h; kwok runs no containers). The results go through
// the converger's own report parser and observation mapping (job_observation.h).
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"
#include "services/converger/job_builder.h"
#include "services/converger/job_inputs.h"
#include "services/converger/job_observation.h"
#include "services/converger/redaction.h"
#include "services/converger/werf_cli_contract.h"
#include "services/converger/werf_entrypoint.h"
#include "test/integration/testbed/local_job.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/admin_client.h"
#include "test/support/test_namespace.h"

#ifndef WERF_TARGET_NAMESPACE_RBAC
#error "WERF_TARGET_NAMESPACE_RBAC must name deploy/target-namespace/werf-deploy-rbac.yaml"
#endif

namespace werf::converger {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace tb = ::werf::testbed;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

tb::LocalJobOptions ExtraArgs(std::vector<std::string> extra_args) {
  tb::LocalJobOptions options;
  options.extra_args = std::move(extra_args);
  return options;
}

tb::LocalJobOptions ReplacedArgs(std::vector<std::string> args) {
  tb::LocalJobOptions options;
  options.args = std::move(args);
  return options;
}

// The Job's outcome as the converger would observe it: the Job controller's condition (Complete
// for exit 0, else Failed) around the pod's real exit code, termination message and log.
pb::JobObservation Observe(const JobManifests& manifests, const tb::LocalJobResult& ran) {
  json job = manifests.job;
  job["status"] = {{"startTime", "2026-01-01T00:00:00Z"},
                   {"conditions", json::array({{{"type", ran.exit_code == 0 ? "Complete" : "Failed"},
                                                {"status", "True"},
                                                {"lastTransitionTime", "2026-01-01T00:01:00Z"}}})}};
  PodOutcome outcome{.pod_name = manifests.name + "-local",
                     .exit_code = ran.exit_code,
                     .termination_message = ran.termination_message};
  return FinishedObservation(job, outcome, LogTail{.text = TailOfLog(ran.log), .unavailable_reason = ""});
}

class WerfStandinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = tb::UniqueName("standin");
    // The target namespace's ServiceAccount with the example Role of deploy/target-namespace.
    const std::string rbac = absl::StrReplaceAll(ReadFile(WERF_TARGET_NAMESPACE_RBAC),
                                                 {{"namespace: my-app", "namespace: " + ns_}});
    ASSERT_FALSE(rbac.empty());
    absl::StatusOr<std::shared_ptr<kube::RestClient>> client = test_support::AdminClient();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *client;
    ASSERT_OK(test_support::CreateNamespace(*client_, ns_));
    ASSERT_OK(tb::ApplyYaml(rbac));
  }

  void TearDown() override {
    // A failed test leaves its namespace for a look (not a ScopedNamespace for that reason).
    if (!HasFailure()) {
      if (client_ != nullptr) (void)test_support::DeleteNamespace(*client_, ns_);
      for (const std::string& root : roots_) std::filesystem::remove_all(root);
    }
  }

  pb::ConvergeRequest Request(pb::JobKind kind, const std::string& repository, const std::string& tag,
                              const std::string& release) {
    pb::ConvergeRequest request;
    request.mutable_bundle()->set_namespace_(ns_);
    request.mutable_bundle()->set_name(release);
    request.mutable_bundle()->set_uid(tb::UniqueName("uid"));
    request.set_kind(kind);
    request.set_repository(repository);
    request.set_tag(tag);
    request.set_digest("sha256:" + std::string(64, '0'));
    request.set_release(release);
    request.set_target_namespace(ns_);
    request.set_service_account_name("werf-deploy");
    request.mutable_timeout()->set_seconds(60);
    request.set_log_retention_days(1);
    request.set_config_hash(tb::UniqueName("cfg"));
    request.set_generation(1);
    return request;
  }

  // Builds the Job as the converger does (inputs read from the namespace), checks it against
  // the werf CLI contract, and runs its container.
  struct Run {
    JobManifests manifests;
    tb::LocalJobResult result;
  };
  absl::StatusOr<Run> BuildAndRun(const pb::ConvergeRequest& request, tb::LocalJobOptions options = {}) {
    absl::StatusOr<JobInputs> inputs = ReadJobInputs(*client_, request);
    if (!inputs.ok()) return inputs.status();
    absl::StatusOr<JobManifests> manifests =
        BuildJobManifests(request, ResolveJobName(request, absl::Now()), *inputs, JobBuilderOptions{});
    if (!manifests.ok()) return manifests.status();
    const std::vector<std::string> args =
        manifests->job["spec"]["template"]["spec"]["containers"][0]["args"].get<std::vector<std::string>>();
    if (absl::Status valid = CheckWerfArgs(args); !valid.ok()) return valid;
    absl::StatusOr<tb::LocalJobResult> result = tb::RunJobLocally(manifests->job, manifests->secret, options);
    if (!result.ok()) return result.status();
    roots_.push_back(result->root);
    return Run{.manifests = *std::move(manifests), .result = *std::move(result)};
  }

  absl::StatusOr<std::string> Kubectl(std::vector<std::string> args) {
    args.insert(args.end(), {"-n", ns_});
    return tb::Kubectl(args);
  }

  std::string Describe(const Run& run) const {
    return absl::StrCat("argv: ", absl::StrJoin(run.result.argv, " "), "\nexit ", run.result.exit_code,
                        "\nlog:\n", run.result.log);
  }

  std::string ns_;
  std::shared_ptr<kube::RestClient> client_;
  std::vector<std::string> roots_;
};

// The stand-in parses exactly the flags of the converger's contract table, with the same kinds.
TEST(WerfStandinFlags, MatchTheWerfCliContract) {
  tb::RunOptions print_flags;
  print_flags.env = {{"WERF_STANDIN_PRINT_FLAGS", "1"}};
  absl::StatusOr<tb::CommandResult> printed = tb::RunCommand({tb::WerfStandinDir() + "/werf"}, print_flags);
  ASSERT_TRUE(printed.ok()) << printed.status();
  ASSERT_EQ(printed->exit_code, 0) << printed->err;
  std::vector<std::string> rows = absl::StrSplit(printed->out, '\n', absl::SkipEmpty());
  std::vector<std::string> expected;
  for (const WerfFlag& flag : WerfFlags()) {
    const char* kind = flag.value == WerfFlagValue::kBool     ? "bool"
                       : flag.value == WerfFlagValue::kInt    ? "int"
                       : flag.value == WerfFlagValue::kString ? "string"
                                                              : "array";
    expected.push_back(absl::StrCat(flag.name, " ", flag.shorthand == '\0' ? "-" : std::string(1, flag.shorthand),
                                    " ", kind, " ", flag.in_apply ? 1 : 0, " ", flag.in_plan ? 1 : 0));
  }
  EXPECT_THAT(rows, ::testing::UnorderedElementsAreArray(expected));
}

// publish-bundle.sh writes werf's layout (pkg/deploy/bundles/registry/cache.go): an OCI image
// manifest, the helm config media type, exactly one application/tar+gzip layer holding the chart
// archive, Chart.yaml's version = the tag. Read back with plain HTTP requests, on distribution v3
// and on docker-registry 2.8.
TEST(WerfBundleLayout, IsWhatWerfBundlePublishWrites) {
  for (tb::RegistryFlavour flavour : {tb::RegistryFlavour::kAnonymous, tb::RegistryFlavour::kV2}) {
    absl::StatusOr<tb::Registry> registry = tb::GetRegistry(flavour);
    ASSERT_TRUE(registry.ok()) << registry.status();
    const std::string repository = tb::UniqueName("layout") + "/hello";
    absl::StatusOr<std::vector<tb::PublishedBundle>> published =
        tb::PublishBundle(*registry, "hello", repository, {"v1.2.3", "2.0.0-rc.1"});
    ASSERT_TRUE(published.ok()) << published.status();
    ASSERT_EQ(published->size(), 2u);
    EXPECT_EQ((*published)[0].reference, absl::StrCat(registry->host, "/", repository, ":v1.2.3"));
    EXPECT_NE((*published)[0].digest, (*published)[1].digest);

    const std::string base = absl::StrCat(registry->base_url(), "/v2/", repository);
    const std::string accept = "Accept: application/vnd.oci.image.manifest.v1+json";
    absl::StatusOr<std::string> headers =
        tb::RunCommandOk({"curl", "-sS", "-o", "/dev/null", "-D", "-", "-H", accept, base + "/manifests/v1.2.3"});
    ASSERT_TRUE(headers.ok()) << headers.status();
    EXPECT_THAT(absl::AsciiStrToLower(*headers),
                HasSubstr("content-type: application/vnd.oci.image.manifest.v1+json"));
    EXPECT_THAT(*headers, HasSubstr((*published)[0].digest));
    absl::StatusOr<std::string> body = tb::RunCommandOk({"curl", "-sS", "-H", accept, base + "/manifests/v1.2.3"});
    ASSERT_TRUE(body.ok()) << body.status();
    const json manifest = json::parse(*body);
    EXPECT_EQ(manifest["schemaVersion"], 2);
    EXPECT_FALSE(manifest.contains("mediaType"));
    EXPECT_FALSE(manifest.contains("annotations"));
    EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
    ASSERT_EQ(manifest["layers"].size(), 1u);
    EXPECT_EQ(manifest["layers"][0]["mediaType"], "application/tar+gzip");
    EXPECT_FALSE(manifest["layers"][0].contains("annotations"));

    absl::StatusOr<std::string> config = tb::RunCommandOk(
        {"curl", "-sS", "-L", base + "/blobs/" + manifest["config"]["digest"].get<std::string>()});
    ASSERT_TRUE(config.ok()) << config.status();
    const json metadata = json::parse(*config);
    EXPECT_EQ(metadata["name"], "hello");
    EXPECT_EQ(metadata["version"], "1.2.3");  // werf's BundleTagToChartVersion drops the "v"
    EXPECT_EQ(metadata["apiVersion"], "v2");

    absl::StatusOr<std::string> chart_yaml = tb::RunCommandOk(
        {"sh", "-c", absl::StrCat("curl -sS -L '", base, "/blobs/", manifest["layers"][0]["digest"].get<std::string>(),
                                  "' | tar -xzO hello/Chart.yaml")});
    ASSERT_TRUE(chart_yaml.ok()) << chart_yaml.status();
    EXPECT_THAT(*chart_yaml, HasSubstr("version: 1.2.3"));
  }
}

TEST_F(WerfStandinTest, HelloDeploysWithValuesInOrderThenUpgradesToRevisionTwo) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kAnonymous);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/hello";
  ASSERT_TRUE(tb::PublishBundle(*registry, "hello", repository, {"1.0.0", "1.1.0"}).ok());
  // Two values sources; the later one wins per key, as werf's --values order does.
  ASSERT_OK(tb::ApplyYaml(absl::StrCat(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello-values\n  namespace: ", ns_,
      "\ndata:\n  values.yaml: |\n    config:\n      greeting: from-configmap\n      color: blue\n")));
  ASSERT_OK(tb::ApplyYaml(absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hello-secret-values\n  namespace: ", ns_,
      "\nstringData:\n  values.yaml: |\n    config:\n      greeting: from-secret\n")));

  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0",
                                        "hello");
  request.mutable_access()->set_plain_http(true);
  pb::ValuesSource* from_config_map = request.add_values_from();
  from_config_map->set_kind(pb::VALUES_SOURCE_KIND_CONFIG_MAP);
  from_config_map->mutable_object()->set_name("hello-values");
  pb::ValuesSource* from_secret = request.add_values_from();
  from_secret->set_kind(pb::VALUES_SOURCE_KIND_SECRET);
  from_secret->mutable_object()->set_name("hello-secret-values");

  ASSERT_OK_AND_ASSIGN(Run first, BuildAndRun(request));
  ASSERT_EQ(first.result.exit_code, 0) << Describe(first);
  EXPECT_EQ(*Kubectl({"get", "configmap", "hello-config", "-o", "jsonpath={.data.greeting}"}), "from-secret");
  EXPECT_EQ(*Kubectl({"get", "configmap", "hello-config", "-o", "jsonpath={.data.color}"}), "blue");
  EXPECT_EQ(*Kubectl({"get", "configmap", "hello-config", "-o", "jsonpath={.data.bundleVersion}"}), "1.0.0");
  EXPECT_EQ(*Kubectl({"get", "deployment", "hello", "-o", "jsonpath={.spec.template.spec.containers[0].image}"}),
            "localhost/werf-testbed/hello:1");
  EXPECT_TRUE(Kubectl({"get", "service", "hello"}).ok());
  // nelm takes werf's lock ConfigMap in the release namespace.
  EXPECT_TRUE(Kubectl({"get", "configmap", "werf-synchronization"}).ok());

  // werf's report, where the Job's args put it, and the entrypoint's compact form of it.
  const std::string report = ReadFile(first.result.root + kReportPath);
  std::optional<pb::DeployReport> full = ParseDeployReport(report);
  ASSERT_TRUE(full.has_value()) << "report: " << report << "\n" << Describe(first);
  EXPECT_EQ(full->status(), "deployed");
  EXPECT_EQ(full->revision(), 1);
  EXPECT_EQ(full->release(), "hello");
  EXPECT_EQ(full->namespace_(), ns_);
  EXPECT_EQ(full->completed_operations(), 3);  // ConfigMap, Deployment, Service
  pb::JobObservation observed = Observe(first.manifests, first.result);
  EXPECT_EQ(observed.phase(), pb::JOB_PHASE_SUCCEEDED);
  ASSERT_TRUE(observed.has_deploy_report()) << "termination message: " << first.result.termination_message;
  EXPECT_EQ(observed.deploy_report().status(), "deployed");
  EXPECT_EQ(observed.deploy_report().revision(), 1);
  EXPECT_EQ(observed.deploy_report().completed_operations(), 3);

  request.set_tag("1.1.0");
  request.set_config_hash(tb::UniqueName("cfg"));
  ASSERT_OK_AND_ASSIGN(Run second, BuildAndRun(request));
  ASSERT_EQ(second.result.exit_code, 0) << Describe(second);
  EXPECT_EQ(*Kubectl({"get", "configmap", "hello-config", "-o", "jsonpath={.data.bundleVersion}"}), "1.1.0");
  observed = Observe(second.manifests, second.result);
  ASSERT_TRUE(observed.has_deploy_report()) << Describe(second);
  EXPECT_EQ(observed.deploy_report().revision(), 2);
  EXPECT_EQ(observed.deploy_report().status(), "deployed");
}

TEST_F(WerfStandinTest, DriftCheckExitsZeroInSyncAndTwoAfterAHandEdit) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kAnonymous);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/hello";
  ASSERT_TRUE(tb::PublishBundle(*registry, "hello", repository, {"2.0.0"}).ok());
  pb::ConvergeRequest apply = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "2.0.0",
                                      "drift");
  apply.mutable_access()->set_plain_http(true);
  ASSERT_OK_AND_ASSIGN(Run applied, BuildAndRun(apply));
  ASSERT_EQ(applied.result.exit_code, 0) << Describe(applied);

  pb::ConvergeRequest check = apply;
  check.set_kind(pb::JOB_KIND_DRIFT_CHECK);
  ASSERT_OK_AND_ASSIGN(Run in_sync, BuildAndRun(check));
  EXPECT_EQ(in_sync.result.exit_code, 0) << Describe(in_sync);
  pb::JobObservation observed = Observe(in_sync.manifests, in_sync.result);
  EXPECT_EQ(observed.phase(), pb::JOB_PHASE_SUCCEEDED);
  EXPECT_EQ(observed.drift(), pb::DRIFT_RESULT_IN_SYNC);

  ASSERT_TRUE(Kubectl({"patch", "configmap", "drift-config", "--type", "merge", "-p",
                       R"({"data":{"greeting":"edited by hand"}})"})
                  .ok());
  ASSERT_OK_AND_ASSIGN(Run drifted, BuildAndRun(check));
  EXPECT_EQ(drifted.result.exit_code, 2) << Describe(drifted);
  EXPECT_THAT(drifted.result.log, HasSubstr("ConfigMap/drift-config"));
  observed = Observe(drifted.manifests, drifted.result);
  EXPECT_EQ(observed.phase(), pb::JOB_PHASE_SUCCEEDED);
  EXPECT_EQ(observed.drift(), pb::DRIFT_RESULT_DRIFTED);
}

TEST_F(WerfStandinTest, BrokenBundleFailsWithNelmsRenderErrorAndNoReport) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kAnonymous);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/broken";
  ASSERT_TRUE(tb::PublishBundle(*registry, "broken", repository, {"1.0.0"}).ok());
  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0",
                                        "broken");
  request.mutable_access()->set_plain_http(true);
  ASSERT_OK_AND_ASSIGN(Run run, BuildAndRun(request));
  EXPECT_EQ(run.result.exit_code, 1) << Describe(run);
  const std::string text = tb::UnwrapNelmLines(run.result.log);
  EXPECT_THAT(text, HasSubstr("broken bundle: .Values.mustBeSet is required"));
  EXPECT_THAT(text, HasSubstr("Error: "));
  // A render failure happens before nelm executes a plan: no report, so no compact message,
  // and the kubelet's FallbackToLogsOnError makes the log tail the termination message.
  EXPECT_FALSE(std::filesystem::exists(run.result.root + kReportPath));
  EXPECT_FALSE(ParseDeployReport(run.result.termination_message).has_value());
  pb::JobObservation observed = Observe(run.manifests, run.result);
  EXPECT_EQ(observed.phase(), pb::JOB_PHASE_FAILED);
  EXPECT_FALSE(observed.has_deploy_report());
  EXPECT_THAT(tb::UnwrapNelmLines(observed.log_tail()), HasSubstr(".Values.mustBeSet is required"));
  EXPECT_THAT(observed.message(), HasSubstr("werf exited with code 1"));
}

// werf prints what it is given: a render failure quotes the value. The value is a Secret's,
// so the log really holds it, and the converger's observation (what goes to the hub, and from
// there to status and Events, and to the converger's own log) must not.
TEST_F(WerfStandinTest, ASecretValueWerfPrintsIsRedactedFromWhatTheConvergerReports) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kAnonymous);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/broken";
  ASSERT_TRUE(tb::PublishBundle(*registry, "broken", repository, {"1.0.0"}).ok());
  const std::string token = tb::UniqueName("tok-s3cr3t");
  ASSERT_OK(tb::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaky-values\n  namespace: ",
                                       ns_, "\nstringData:\n  values.yaml: |\n    mustBeSet: present\n    refuseToken: ",
                                       token, "\n")));
  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0",
                                        "leaky");
  request.mutable_access()->set_plain_http(true);
  pb::ValuesSource* from_secret = request.add_values_from();
  from_secret->set_kind(pb::VALUES_SOURCE_KIND_SECRET);
  from_secret->mutable_object()->set_name("leaky-values");

  ASSERT_OK_AND_ASSIGN(Run run, BuildAndRun(request));
  EXPECT_EQ(run.result.exit_code, 1) << Describe(run);
  // The container printed it: without redaction it would travel on.
  ASSERT_THAT(tb::UnwrapNelmLines(run.result.log), HasSubstr("refusing to deploy with token " + token));
  const std::string job_spec = run.manifests.job.dump();
  EXPECT_THAT(job_spec, Not(HasSubstr(token))) << "the value is mounted, never in the Job";
  EXPECT_THAT(job_spec, Not(HasSubstr(absl::Base64Escape(token))));

  // As the converger's monitor does (JobMonitor::Conclude): observe, then redact with what
  // the per-Job Secret says was mounted from Secrets.
  pb::JobObservation observed = Observe(run.manifests, run.result);
  ASSERT_TRUE(run.manifests.secret.has_value()) << "the values come from a Secret";
  RedactObservation(observed, SecretStringsOfJobSecret(*run.manifests.secret));
  EXPECT_EQ(observed.phase(), pb::JOB_PHASE_FAILED);
  const std::string reported = observed.DebugString();
  EXPECT_THAT(reported, Not(HasSubstr(token)));
  EXPECT_THAT(reported, Not(HasSubstr(absl::Base64Escape(token))));
  // What the user needs is still there: nelm's error, with the value blanked.
  EXPECT_THAT(tb::UnwrapNelmLines(observed.log_tail()),
              HasSubstr(absl::StrCat("refusing to deploy with token ", kRedacted)));
}

TEST_F(WerfStandinTest, BigReportIsLargerThanATerminationMessageAndItsCompactFormParses) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kAnonymous);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/big";
  ASSERT_TRUE(tb::PublishBundle(*registry, "big", repository, {"1.0.0"}).ok());
  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0",
                                        "big");
  request.mutable_access()->set_plain_http(true);
  ASSERT_OK_AND_ASSIGN(Run run, BuildAndRun(request));
  ASSERT_EQ(run.result.exit_code, 0) << Describe(run);
  const std::string report = ReadFile(run.result.root + kReportPath);
  EXPECT_GT(report.size(), kTerminationMessageBytes);
  std::optional<pb::DeployReport> full = ParseDeployReport(report);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->completed_operations(), 150);
  // The last 4096 bytes of the full report alone would not parse; the entrypoint's form does.
  EXPECT_FALSE(ParseDeployReport(report.substr(report.size() - kTerminationMessageBytes)).has_value());
  EXPECT_LE(run.result.termination_message.size(), kTerminationMessageBytes);
  pb::JobObservation observed = Observe(run.manifests, run.result);
  ASSERT_TRUE(observed.has_deploy_report()) << run.result.termination_message;
  EXPECT_EQ(observed.deploy_report().status(), "deployed");
  EXPECT_EQ(observed.deploy_report().revision(), 1);
  EXPECT_EQ(observed.deploy_report().completed_operations(), 150);
  EXPECT_TRUE(observed.deploy_report().truncated());
}

TEST_F(WerfStandinTest, UnknownFlagsAreRefusedWithCobrasMessage) {
  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, "127.0.0.1:1/none", "1.0.0", "flags");
  ASSERT_OK_AND_ASSIGN(Run unknown, BuildAndRun(request, ExtraArgs({"--foo"})));
  EXPECT_EQ(unknown.result.exit_code, 1) << Describe(unknown);
  EXPECT_THAT(unknown.result.log, HasSubstr("Error: unknown flag: --foo"));
  EXPECT_THAT(unknown.result.log, Not(HasSubstr("Pulling bundle")));

  // `bundle plan` has no -t (what every drift check used to pass).
  pb::ConvergeRequest check = request;
  check.set_kind(pb::JOB_KIND_DRIFT_CHECK);
  ASSERT_OK_AND_ASSIGN(Run plan_timeout, BuildAndRun(check, ExtraArgs({"-t", "300"})));
  EXPECT_EQ(plan_timeout.result.exit_code, 1) << Describe(plan_timeout);
  EXPECT_THAT(plan_timeout.result.log, HasSubstr("Error: unknown shorthand flag: 't' in -t"));
}

TEST_F(WerfStandinTest, ReportPathWithoutExtensionGetsJsonAndOtherExtensionsAreRefused) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kAnonymous);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/hello";
  ASSERT_TRUE(tb::PublishBundle(*registry, "hello", repository, {"1.0.0"}).ok());
  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0",
                                        "suffix");
  request.mutable_access()->set_plain_http(true);
  absl::StatusOr<JobManifests> manifests = BuildJobManifests(request, "suffix-job", JobInputs{}, JobBuilderOptions{});
  ASSERT_TRUE(manifests.ok()) << manifests.status();
  const std::vector<std::string> args =
      manifests->job["spec"]["template"]["spec"]["containers"][0]["args"].get<std::vector<std::string>>();
  const auto with_report_path = [&args](const std::string& path) {
    std::vector<std::string> changed = args;
    for (size_t i = 0; i + 1 < changed.size(); ++i) {
      if (changed[i] == "--deploy-report-path") changed[i + 1] = path;
    }
    return changed;
  };

  absl::StatusOr<tb::LocalJobResult> bare =
      tb::RunJobLocally(manifests->job, std::nullopt, ReplacedArgs(with_report_path("/werf/report/report")));
  ASSERT_TRUE(bare.ok()) << bare.status();
  roots_.push_back(bare->root);
  EXPECT_EQ(bare->exit_code, 0) << bare->log;
  EXPECT_TRUE(std::filesystem::exists(bare->root + "/werf/report/report.json"));
  EXPECT_FALSE(std::filesystem::exists(bare->root + "/werf/report/report"));

  absl::StatusOr<tb::LocalJobResult> yaml =
      tb::RunJobLocally(manifests->job, std::nullopt, ReplacedArgs(with_report_path("/werf/report/report.yaml")));
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  roots_.push_back(yaml->root);
  EXPECT_EQ(yaml->exit_code, 1) << yaml->log;
  EXPECT_THAT(yaml->log, HasSubstr("extension must be either .json or unspecified"));
}

TEST_F(WerfStandinTest, BasicAuthRegistryThroughTheMountedDockerConfig) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kBasic);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/hello";
  ASSERT_TRUE(tb::PublishBundle(*registry, "hello", repository, {"1.0.0"}).ok());
  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0",
                                        "basic");
  request.mutable_access()->set_plain_http(true);

  // Without credentials the registry answers 401 and werf fails while pulling.
  ASSERT_OK_AND_ASSIGN(Run anonymous, BuildAndRun(request));
  EXPECT_EQ(anonymous.result.exit_code, 1) << Describe(anonymous);
  EXPECT_THAT(anonymous.result.log, HasSubstr("Error: pull bundle: "));

  ASSERT_OK(tb::ApplyYaml(absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-basic\n  namespace: ", ns_,
      "\ntype: kubernetes.io/basic-auth\nstringData:\n  username: '", registry->username, "'\n  password: '",
      registry->password, "'\n")));
  request.mutable_access()->mutable_credentials_secret()->set_name("registry-basic");
  ASSERT_OK_AND_ASSIGN(Run authenticated, BuildAndRun(request));
  EXPECT_EQ(authenticated.result.exit_code, 0) << Describe(authenticated);
  EXPECT_TRUE(Kubectl({"get", "configmap", "basic-config"}).ok());
}

TEST_F(WerfStandinTest, TokenRegistryThroughADockerConfigJsonSecret) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kToken);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::string repository = "standin/" + ns_ + "/hello";
  ASSERT_TRUE(tb::PublishBundle(*registry, "hello", repository, {"1.0.0"}).ok());
  // The pull-only user, as a deployer would have.
  const std::string user = tb::Env().Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_USER");
  const std::string password = tb::Env().Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_PASSWORD");
  const json config = {{"auths", {{registry->host, {{"username", user}, {"password", password}}}}}};
  ASSERT_OK(tb::ApplyYaml(absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-token\n  namespace: ", ns_,
      "\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '", config.dump(), "'\n")));
  pb::ConvergeRequest request = Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0",
                                        "token");
  request.mutable_access()->set_plain_http(true);
  request.mutable_access()->mutable_credentials_secret()->set_name("registry-token");
  ASSERT_OK_AND_ASSIGN(Run run, BuildAndRun(request));
  EXPECT_EQ(run.result.exit_code, 0) << Describe(run);
  EXPECT_TRUE(Kubectl({"get", "configmap", "token-config"}).ok());
}

TEST_F(WerfStandinTest, TlsRegistryTrustedThroughTheMountedCaInSslCertDir) {
  absl::StatusOr<tb::Registry> registry = tb::GetRegistry(tb::RegistryFlavour::kTls);
  ASSERT_TRUE(registry.ok()) << registry.status();
  if (registry->external_host.empty()) {
    GTEST_SKIP() << "registry-tls has no non-loopback address in this test bed (werf speaks plain HTTP to "
                    "loopback hosts, so TLS needs one): only a test bed with the real node has one "
                    "(WERF_TESTBED_REAL_NODE=1, its veth address)";
  }
  const std::string repository = "standin/" + ns_ + "/hello";
  ASSERT_TRUE(tb::PublishBundle(*registry, "hello", repository, {"1.0.0"}).ok());
  ASSERT_OK(tb::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-ca\n  namespace: ",
                                       ns_, "\ndata:\n  ca.crt: ", absl::Base64Escape(ReadFile(registry->ca_file)),
                                       "\n")));
  const std::string reference = absl::StrCat(registry->external_host, "/", repository);

  // The system roots alone do not trust the test CA.
  pb::ConvergeRequest untrusted = Request(pb::JOB_KIND_APPLY, reference, "1.0.0", "untrusted");
  ASSERT_OK_AND_ASSIGN(Run refused, BuildAndRun(untrusted));
  EXPECT_EQ(refused.result.exit_code, 1) << Describe(refused);
  EXPECT_THAT(refused.result.log, HasSubstr("x509"));

  // The CA Secret becomes /werf/ca/ca.crt and SSL_CERT_DIR=/werf/ca:/etc/ssl/certs.
  pb::ConvergeRequest trusted = Request(pb::JOB_KIND_APPLY, reference, "1.0.0", "tls");
  trusted.mutable_access()->mutable_ca_secret()->set_name("registry-ca");
  ASSERT_OK_AND_ASSIGN(Run verified, BuildAndRun(trusted));
  EXPECT_EQ(verified.result.exit_code, 0) << Describe(verified);
  EXPECT_TRUE(Kubectl({"get", "configmap", "tls-config"}).ok());

  // registry.insecure: --skip-tls-verify-registry, HTTPS without verification.
  pb::ConvergeRequest unverified = Request(pb::JOB_KIND_APPLY, reference, "1.0.0", "unverified");
  unverified.mutable_access()->set_insecure(true);
  ASSERT_OK_AND_ASSIGN(Run skipped, BuildAndRun(unverified));
  EXPECT_EQ(skipped.result.exit_code, 0) << Describe(skipped);

  // The same registry at 127.0.0.1: werf speaks plain HTTP to a loopback host whatever its
  // flags (containerd's MatchLocalhost), and the HTTPS server refuses that.
  pb::ConvergeRequest loopback =
      Request(pb::JOB_KIND_APPLY, absl::StrCat(registry->host, "/", repository), "1.0.0", "loopback");
  loopback.mutable_access()->mutable_ca_secret()->set_name("registry-ca");
  ASSERT_OK_AND_ASSIGN(Run plain, BuildAndRun(loopback));
  EXPECT_EQ(plain.result.exit_code, 1) << Describe(plain);
  EXPECT_THAT(plain.result.log, HasSubstr("http://" + registry->host));
}

}  // namespace
}  // namespace werf::converger
