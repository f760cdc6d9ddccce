// The Job builder, field by field.
#include "services/converger/job_builder.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/hub/job_name.h"
#include "services/converger/werf_entrypoint.h"

namespace werf::converger {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;

pb::ConvergeRequest Request() {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_("team-a");
  request.mutable_bundle()->set_name("shop");
  request.mutable_bundle()->set_uid("uid-1");
  request.set_kind(pb::JOB_KIND_APPLY);
  request.set_repository("registry.example.com/team/shop");
  request.set_tag("1.4.2");
  request.set_digest("sha256:abc");
  request.set_release("shop-release");
  request.set_target_namespace("team-a");
  request.set_service_account_name("werf-deploy");
  request.mutable_timeout()->set_seconds(600);
  request.set_log_retention_days(7);
  request.set_config_hash("cfg1");
  request.set_generation(3);
  return request;
}

JobManifests Build(const pb::ConvergeRequest& request, const JobInputs& inputs = {},
                   const JobBuilderOptions& options = {}) {
  absl::StatusOr<JobManifests> built = BuildJobManifests(request, "shop-a-0123456789", inputs, options);
  EXPECT_TRUE(built.ok()) << built.status();
  return built.ok() ? *std::move(built) : JobManifests{};
}

const json& Pod(const JobManifests& m) { return m.job["spec"]["template"]; }
const json& Container(const JobManifests& m) { return m.job["spec"]["template"]["spec"]["containers"][0]; }

std::vector<std::string> Args(const JobManifests& m) { return Container(m)["args"].get<std::vector<std::string>>(); }

// name -> value of the container's env, in order.
std::vector<std::pair<std::string, std::string>> Env(const JobManifests& m) {
  std::vector<std::pair<std::string, std::string>> env;
  for (const json& entry : Container(m)["env"]) env.emplace_back(entry["name"], entry["value"]);
  return env;
}

const json* Find(const json& array, absl::string_view name) {
  for (const json& item : array) {
    if (item.value("name", "") == name) return &item;
  }
  return nullptr;
}

TEST(ValidateConvergeRequest, AcceptsACompleteRequest) { EXPECT_TRUE(ValidateConvergeRequest(Request()).ok()); }

TEST(ValidateConvergeRequest, NamesTheMissingField) {
  struct Case {
    const char* field;
    void (*clear)(pb::ConvergeRequest&);
  };
  const Case cases[] = {
      {"bundle.namespace", [](pb::ConvergeRequest& r) { r.mutable_bundle()->clear_namespace_(); }},
      {"bundle.name", [](pb::ConvergeRequest& r) { r.mutable_bundle()->clear_name(); }},
      {"kind", [](pb::ConvergeRequest& r) { r.clear_kind(); }},
      {"repository", [](pb::ConvergeRequest& r) { r.clear_repository(); }},
      {"tag", [](pb::ConvergeRequest& r) { r.clear_tag(); }},
      {"release", [](pb::ConvergeRequest& r) { r.clear_release(); }},
      {"target_namespace", [](pb::ConvergeRequest& r) { r.clear_target_namespace(); }},
      {"service_account_name", [](pb::ConvergeRequest& r) { r.clear_service_account_name(); }},
      {"job_name", [](pb::ConvergeRequest& r) { r.set_job_name("Not_A_Label"); }},
      {"timeout", [](pb::ConvergeRequest& r) { r.mutable_timeout()->set_seconds(-1); }},
      {"values_from[0]", [](pb::ConvergeRequest& r) { r.add_values_from()->mutable_object()->set_name("v"); }},
      {"env name", [](pb::ConvergeRequest& r) { (*r.mutable_env())["1BAD"] = "x"; }},
      {"HOME is set by the converger", [](pb::ConvergeRequest& r) { (*r.mutable_env())["HOME"] = "/root"; }},
      {"WERF_HOME is set by the converger", [](pb::ConvergeRequest& r) { (*r.mutable_env())["WERF_HOME"] = "/x"; }},
      {"NELM_FEAT_MORE_DETAILED_EXIT_CODE_FOR_PLAN is refused",
       [](pb::ConvergeRequest& r) { (*r.mutable_env())["NELM_FEAT_MORE_DETAILED_EXIT_CODE_FOR_PLAN"] = "true"; }},
  };
  for (const Case& c : cases) {
    pb::ConvergeRequest request = Request();
    c.clear(request);
    const absl::Status status = ValidateConvergeRequest(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.field));
  }
}

TEST(ResolveJobName, PrefersTheRequestsName) {
  pb::ConvergeRequest request = Request();
  request.set_job_name("given-a-0000000000");
  EXPECT_EQ(ResolveJobName(request, absl::Now()), "given-a-0000000000");
}

TEST(ResolveJobName, FallsBackToTheSharedFunction) {
  EXPECT_EQ(ResolveJobName(Request(), absl::Now()), hub::JobNameForRequest(Request()));
}

TEST(ResolveJobName, DriftChecksWithoutANameDifferPerMinute) {
  pb::ConvergeRequest request = Request();
  request.set_kind(pb::JOB_KIND_DRIFT_CHECK);
  const absl::Time t = absl::FromUnixSeconds(1800000000);
  EXPECT_EQ(ResolveJobName(request, t), ResolveJobName(request, t + absl::Seconds(10)));
  EXPECT_NE(ResolveJobName(request, t), ResolveJobName(request, t + absl::Minutes(1)));
}

TEST(WerfArgs, ApplyRunsBundleApplyWithTheDeployReportInTheReportVolume) {
  EXPECT_THAT(WerfArgs(Request(), 0, {}),
              ElementsAre("bundle", "apply", "--repo", "registry.example.com/team/shop", "--tag", "1.4.2",
                          "--release", "shop-release", "--namespace", "team-a", "--log-color-mode=off",
                          "--log-pretty=false", "-t", "600", "--save-deploy-report", "--deploy-report-path",
                          "/werf/report/report.json"));
}

TEST(WerfArgs, DriftCheckRunsBundlePlanWithExitCodeAndNoTimeoutOrReport) {
  pb::ConvergeRequest request = Request();
  request.set_kind(pb::JOB_KIND_DRIFT_CHECK);
  EXPECT_THAT(WerfArgs(request, 1, {}),
              ElementsAre("bundle", "plan", "--exit-code", "--repo", "registry.example.com/team/shop", "--tag",
                          "1.4.2", "--release", "shop-release", "--namespace", "team-a", "--log-color-mode=off",
                          "--log-pretty=false", "--values", "/werf/values/0.yaml"));
}

TEST(WerfArgs, ValuesFilesInOrder) {
  const std::vector<std::string> args = WerfArgs(Request(), 2, {});
  EXPECT_THAT(args, IsSupersetOf({"/werf/values/0.yaml", "/werf/values/1.yaml"}));
  EXPECT_LT(std::find(args.begin(), args.end(), "/werf/values/0.yaml"),
            std::find(args.begin(), args.end(), "/werf/values/1.yaml"));
}

TEST(WerfArgs, PlainHttpGetsInsecureRegistryAndUnverifiedTlsOnlySkipTlsVerify) {
  pb::ConvergeRequest request = Request();
  std::vector<std::string> args = WerfArgs(request, 0, {});
  EXPECT_THAT(args, Not(::testing::Contains("--insecure-registry")));
  EXPECT_THAT(args, Not(::testing::Contains("--skip-tls-verify-registry")));

  request.mutable_access()->set_insecure(true);
  args = WerfArgs(request, 0, {});
  EXPECT_THAT(args, ::testing::Contains("--skip-tls-verify-registry"));
  EXPECT_THAT(args, Not(::testing::Contains("--insecure-registry"))) << "HTTPS must stay HTTPS";

  request.mutable_access()->set_plain_http(true);
  args = WerfArgs(request, 0, {});
  EXPECT_THAT(args, ::testing::Contains("--insecure-registry"));
  EXPECT_THAT(args, Not(::testing::Contains("--skip-tls-verify-registry")));
}

TEST(WerfArgs, TimeoutDefaultsAndRoundsUp) {
  pb::ConvergeRequest request = Request();
  request.clear_timeout();
  std::vector<std::string> args = WerfArgs(request, 0, {.default_timeout = absl::Minutes(3)});
  EXPECT_EQ(*(std::find(args.begin(), args.end(), "-t") + 1), "180");
  request.mutable_timeout()->set_seconds(90);
  request.mutable_timeout()->set_nanos(500000000);
  args = WerfArgs(request, 0, {});
  EXPECT_EQ(*(std::find(args.begin(), args.end(), "-t") + 1), "91");
}

TEST(BuildJobManifests, JobMetadataLeadsBackToTheBundle) {
  const JobManifests m = Build(Request());
  EXPECT_EQ(m.name, "shop-a-0123456789");
  EXPECT_EQ(m.ns, "team-a");
  EXPECT_EQ(m.job["apiVersion"], "batch/v1");
  EXPECT_EQ(m.job["kind"], "Job");
  EXPECT_EQ(m.job["metadata"]["name"], "shop-a-0123456789");
  EXPECT_EQ(m.job["metadata"]["namespace"], "team-a");
  EXPECT_EQ(m.job["metadata"]["labels"], (json{{"app.kubernetes.io/managed-by", "werf-operator"},
                                               {"werf.io/bundle", "shop"},
                                               {"werf.io/bundle-namespace", "team-a"},
                                               {"werf.io/bundle-uid", "uid-1"},
                                               {"werf.io/job-kind", "apply"}}));
  EXPECT_EQ(m.job["metadata"]["annotations"], (json{{"werf.io/tag", "1.4.2"},
                                                    {"werf.io/digest", "sha256:abc"},
                                                    {"werf.io/config-hash", "cfg1"},
                                                    {"werf.io/repository", "registry.example.com/team/shop"},
                                                    {"werf.io/generation", "3"},
                                                    {"werf.io/bundle", "team-a/shop"}}));
}

TEST(BuildJobManifests, DriftCheckKindLabel) {
  pb::ConvergeRequest request = Request();
  request.set_kind(pb::JOB_KIND_DRIFT_CHECK);
  EXPECT_EQ(Build(request).job["metadata"]["labels"]["werf.io/job-kind"], "drift-check");
}

TEST(BuildJobManifests, OwnedByTheBundleOnlyInItsOwnNamespace) {
  const json owners = Build(Request()).job["metadata"]["ownerReferences"];
  EXPECT_EQ(owners, json::array({{{"apiVersion", "werf.io/v1alpha1"},
                                  {"kind", "WerfBundle"},
                                  {"name", "shop"},
                                  {"uid", "uid-1"},
                                  {"controller", true},
                                  {"blockOwnerDeletion", false}}}));
  pb::ConvergeRequest elsewhere = Request();
  elsewhere.set_target_namespace("production");
  EXPECT_FALSE(Build(elsewhere).job["metadata"].contains("ownerReferences"));
}

TEST(BuildJobManifests, JobSpecRetriesNothingAndCleansUpAfterRetention) {
  const JobManifests m = Build(Request());
  EXPECT_EQ(m.job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(m.job["spec"]["ttlSecondsAfterFinished"], 7 * 86400);

  pb::ConvergeRequest no_retention = Request();
  no_retention.set_log_retention_days(0);
  EXPECT_EQ(Build(no_retention).job["spec"]["ttlSecondsAfterFinished"], 86400);
  EXPECT_EQ(Build(Request(), {}, {.ttl_seconds_override = 5}).job["spec"]["ttlSecondsAfterFinished"], 5);
}

// A drift check every few minutes would otherwise keep a week of finished Jobs and pods
// per bundle (~670 at 15-minute checks); its outcome is in the bundle's status anyway.
TEST(BuildJobManifests, DriftChecksAreCleanedUpAfterTheirOwnShortTtl) {
  pb::ConvergeRequest drift = Request();
  drift.set_kind(pb::JOB_KIND_DRIFT_CHECK);
  EXPECT_EQ(Build(drift).job["spec"]["ttlSecondsAfterFinished"], 3600);
  EXPECT_EQ(Build(drift, {}, {.drift_check_ttl = absl::Minutes(10)}).job["spec"]["ttlSecondsAfterFinished"], 600);
  EXPECT_EQ(Build(drift, {}, {.ttl_seconds_override = 5}).job["spec"]["ttlSecondsAfterFinished"], 5);
  // Never longer than the bundle's own retention.
  drift.set_log_retention_days(1);
  EXPECT_EQ(Build(drift, {}, {.drift_check_ttl = absl::Hours(48)}).job["spec"]["ttlSecondsAfterFinished"], 86400);
}

// -t is werf's per-resource tracking timeout; a deploy in several stages may track for
// several times -t, so an apply's deadline is a multiple of it (or none).
TEST(ActiveDeadlineSeconds, AnApplyMayTrackSeveralStagesOfTimeout) {
  pb::ConvergeRequest request = Request();  // timeout 600 s
  EXPECT_EQ(ActiveDeadlineSeconds(request, {}), 6 * 600 + 300) << "default: 6 stages of -t, plus 5m";
  EXPECT_EQ(ActiveDeadlineSeconds(request, {.deadline_factor = 3, .deadline_margin = absl::Seconds(30)}),
            3 * 600 + 30);
  EXPECT_EQ(ActiveDeadlineSeconds(request, {.deadline_factor = 0}), std::nullopt);
  EXPECT_EQ(Build(request).job["spec"]["activeDeadlineSeconds"], 3900);
  EXPECT_FALSE(Build(request, {}, {.deadline_factor = 0}).job["spec"].contains("activeDeadlineSeconds"));

  // A deploy of three stages, each tracking just under -t, is not killed; the old rule
  // (timeout + margin) would have killed it during the second stage.
  const int64_t three_stages = 3 * (600 - 1) + 60 /* pull, start, render, apply */;
  EXPECT_GT(*ActiveDeadlineSeconds(request, {}), three_stages);
  EXPECT_LT(600 + 300, three_stages);
}

TEST(ActiveDeadlineSeconds, ADriftCheckTracksNothing) {
  pb::ConvergeRequest request = Request();
  request.set_kind(pb::JOB_KIND_DRIFT_CHECK);
  EXPECT_EQ(ActiveDeadlineSeconds(request, {}), 600 + 300);
  EXPECT_EQ(ActiveDeadlineSeconds(request, {.deadline_factor = 0}), 600 + 300);
  request.clear_timeout();
  EXPECT_EQ(ActiveDeadlineSeconds(request, {.default_timeout = absl::Minutes(2)}), 120 + 300);
}

TEST(BuildJobManifests, PodIsRestrictedAndRunsAsTheBundlesServiceAccount) {
  const JobManifests m = Build(Request());
  const json& spec = Pod(m)["spec"];
  EXPECT_EQ(spec["restartPolicy"], "Never");
  EXPECT_EQ(spec["serviceAccountName"], "werf-deploy");
  EXPECT_EQ(spec["enableServiceLinks"], false);
  EXPECT_EQ(spec["securityContext"], (json{{"runAsNonRoot", true},
                                           {"runAsUser", 1000},
                                           {"runAsGroup", 1000},
                                           {"fsGroup", 1000},
                                           {"seccompProfile", {{"type", "RuntimeDefault"}}}}));
  EXPECT_EQ(spec["containers"].size(), 1u);
  EXPECT_EQ(spec["containers"][0]["securityContext"],
            (json{{"allowPrivilegeEscalation", false},
                  {"readOnlyRootFilesystem", true},
                  {"runAsNonRoot", true},
                  {"capabilities", {{"drop", {"ALL"}}}}}));
}

TEST(BuildJobManifests, ContainerImageCommandAndTerminationMessage) {
  JobManifests m = Build(Request());
  EXPECT_EQ(Container(m)["name"], "werf");
  EXPECT_EQ(Container(m)["image"], "registry.werf.io/werf/werf:2-stable");
  EXPECT_EQ(Container(m)["command"],
            json(EntrypointCommand({.report_path = "/werf/report/report.json",
                                    .termination_message_path = "/dev/termination-log",
                                    .max_message_bytes = 4096})));
  EXPECT_EQ(Args(m), WerfArgs(Request(), 0, {}));
  EXPECT_EQ(Container(m)["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(Container(m)["terminationMessagePolicy"], "FallbackToLogsOnError");

  EXPECT_EQ(Container(Build(Request(), {}, {.default_image = "mirror.local/werf:2"}))["image"], "mirror.local/werf:2");
  pb::ConvergeRequest own_image = Request();
  own_image.set_image("mirror.local/werf:2.1");
  EXPECT_EQ(Container(Build(own_image, {}, {.default_image = "mirror.local/werf:2"}))["image"],
            "mirror.local/werf:2.1");
}

TEST(BuildJobManifests, ResourcesDefaultToOneCpuOneGi) {
  const json expected_default = {{"cpu", "1"}, {"memory", "1Gi"}};
  EXPECT_EQ(Container(Build(Request()))["resources"],
            (json{{"requests", expected_default}, {"limits", expected_default}}));
  pb::ConvergeRequest request = Request();
  request.mutable_resources()->set_cpu("500m");
  request.mutable_resources()->set_memory("2Gi");
  const json expected = {{"cpu", "500m"}, {"memory", "2Gi"}};
  EXPECT_EQ(Container(Build(request))["resources"], (json{{"requests", expected}, {"limits", expected}}));
}

TEST(BuildJobManifests, EnvironmentLayersFlagsThenRequestThenTheConvergersOwn) {
  pb::ConvergeRequest request = Request();
  (*request.mutable_env())["WERF_BUILDAH_MODE"] = "native-rootless";
  const JobManifests m =
      Build(request, {}, {.job_env = {{"WERF_BUILDAH_MODE", "auto"}, {"WERF_LOG_TIME", "true"}}});
  EXPECT_EQ(Env(m), (std::vector<std::pair<std::string, std::string>>{{"WERF_BUILDAH_MODE", "native-rootless"},
                                                                       {"WERF_LOG_TIME", "true"},
                                                                       {"HOME", "/werf/home"},
                                                                       {"WERF_HOME", "/werf/home/.werf"},
                                                                       {"TMPDIR", "/tmp"},
                                                                       {"WERF_TMP_DIR", "/tmp"},
                                                                       {"WERF_TELEMETRY", "false"}}));
}

TEST(BuildJobManifests, RefusesJobEnvThatWouldOverrideThePinnedOnes) {
  for (const char* name : {"HOME", "WERF_TMP_DIR", "WERF_TELEMETRY", "DOCKER_CONFIG", "NELM_FEAT_PREVIEW_V2"}) {
    const absl::Status status =
        BuildJobManifests(Request(), "shop-a-0123456789", {}, {.job_env = {{name, "x"}}}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(absl::StrCat("--job_env: ", name)));
  }
}

TEST(BuildJobManifests, WritableHomeTmpAndReportAreEmptyDirs) {
  const JobManifests m = Build(Request());
  EXPECT_EQ(Pod(m)["spec"]["volumes"], json::array({{{"name", "home"}, {"emptyDir", json::object()}},
                                                    {{"name", "tmp"}, {"emptyDir", json::object()}},
                                                    {{"name", "report"}, {"emptyDir", json::object()}}}));
  EXPECT_EQ(Container(m)["volumeMounts"], json::array({{{"name", "home"}, {"mountPath", "/werf/home"}},
                                                       {{"name", "tmp"}, {"mountPath", "/tmp"}},
                                                       {{"name", "report"}, {"mountPath", "/werf/report"}}}));
  EXPECT_FALSE(m.secret.has_value()) << "nothing to carry, no Secret";
}

TEST(BuildJobManifests, InputsTravelInOnePerJobSecretMountedAsFiles) {
  const JobInputs inputs{.values = {"replicas: 2\n", "password: hunter2\n"},
                         .values_from_secret = {false, true},
                         .docker_config_json = R"({"auths":{"r":{"auth":"dTpw"}}})",
                         .registry_ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n"};
  const JobManifests m = Build(Request(), inputs);
  ASSERT_TRUE(m.secret.has_value());
  const json& secret = *m.secret;
  EXPECT_EQ(secret["kind"], "Secret");
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(secret["metadata"]["name"], "shop-a-0123456789");
  EXPECT_EQ(secret["metadata"]["namespace"], "team-a");
  EXPECT_EQ(secret["metadata"]["labels"], m.job["metadata"]["labels"]);
  // Names of the keys that came from Secrets, for redacting the Job's logs; never values.
  EXPECT_EQ(secret["metadata"]["annotations"]["werf.io/secret-keys"], "values-1.yaml,config.json");
  EXPECT_EQ(secret["data"], (json{{"values-0.yaml", absl::Base64Escape("replicas: 2\n")},
                                  {"values-1.yaml", absl::Base64Escape("password: hunter2\n")},
                                  {"config.json", absl::Base64Escape(inputs.docker_config_json)},
                                  {"ca.crt", absl::Base64Escape(inputs.registry_ca_pem)}}));

  const json& volumes = Pod(m)["spec"]["volumes"];
  ASSERT_NE(Find(volumes, "values"), nullptr);
  EXPECT_EQ((*Find(volumes, "values"))["secret"],
            (json{{"secretName", "shop-a-0123456789"},
                  {"defaultMode", 0440},
                  {"items", {{{"key", "values-0.yaml"}, {"path", "0.yaml"}}, {{"key", "values-1.yaml"}, {"path", "1.yaml"}}}}}));
  ASSERT_NE(Find(volumes, "docker-config"), nullptr);
  EXPECT_EQ((*Find(volumes, "docker-config"))["secret"]["items"],
            json::array({{{"key", "config.json"}, {"path", "config.json"}}}));
  ASSERT_NE(Find(volumes, "registry-ca"), nullptr);

  const json& mounts = Container(m)["volumeMounts"];
  EXPECT_EQ(*Find(mounts, "values"), (json{{"name", "values"}, {"mountPath", "/werf/values"}, {"readOnly", true}}));
  EXPECT_EQ(*Find(mounts, "docker-config"),
            (json{{"name", "docker-config"}, {"mountPath", "/werf/docker"}, {"readOnly", true}}));
  EXPECT_EQ(*Find(mounts, "registry-ca"), (json{{"name", "registry-ca"}, {"mountPath", "/werf/ca"}, {"readOnly", true}}));

  EXPECT_THAT(Env(m), IsSupersetOf({std::pair<std::string, std::string>{"DOCKER_CONFIG", "/werf/docker"},
                                    std::pair<std::string, std::string>{"SSL_CERT_DIR", "/werf/ca:/etc/ssl/certs"}}));
  EXPECT_THAT(Args(m), IsSupersetOf({"/werf/values/0.yaml", "/werf/values/1.yaml"}));
}

TEST(BuildJobManifests, NoInputByteAppearsInTheJob) {
  const JobInputs inputs{.values = {"token: s3cr3t-values-token\n"},
                         .docker_config_json = R"({"auths":{"r":{"auth":"c2VjcmV0LWF1dGg="}}})",
                         .registry_ca_pem = "ca-pem-bytes"};
  const std::string job = Build(Request(), inputs).job.dump();
  for (const std::string& secret : {inputs.values[0], inputs.docker_config_json, inputs.registry_ca_pem}) {
    EXPECT_THAT(job, Not(HasSubstr(secret)));
    EXPECT_THAT(job, Not(HasSubstr(absl::Base64Escape(secret))));
  }
  EXPECT_THAT(job, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(job, Not(HasSubstr("c2VjcmV0LWF1dGg")));
}

TEST(BuildJobManifests, PodLabelsAndAnnotationsFromTheBundleButOurLabelsWin) {
  pb::ConvergeRequest request = Request();
  (*request.mutable_pod_labels())["team"] = "payments";
  (*request.mutable_pod_labels())["werf.io/bundle"] = "spoofed";
  (*request.mutable_pod_annotations())["sidecar.istio.io/inject"] = "false";
  const JobManifests m = Build(request);
  const json& metadata = Pod(m)["metadata"];
  EXPECT_EQ(metadata["labels"]["team"], "payments");
  EXPECT_EQ(metadata["labels"]["werf.io/bundle"], "shop");
  EXPECT_EQ(metadata["labels"]["app.kubernetes.io/managed-by"], "werf-operator");
  EXPECT_EQ(metadata["labels"]["werf.io/job-kind"], "apply");
  EXPECT_EQ(metadata["annotations"], (json{{"sidecar.istio.io/inject", "false"}}));
}

TEST(BuildJobManifests, LongBundleNamesBecomeValidLabelValues) {
  pb::ConvergeRequest request = Request();
  request.mutable_bundle()->set_name(std::string(80, 'n'));
  const std::string label = Build(request).job["metadata"]["labels"]["werf.io/bundle"];
  EXPECT_LE(label.size(), 63u);
  EXPECT_EQ(Build(request).job["metadata"]["annotations"]["werf.io/bundle"], "team-a/" + std::string(80, 'n'));
}

TEST(BuildJobManifests, RejectsABadJobName) {
  EXPECT_EQ(BuildJobManifests(Request(), "Bad_Name", {}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseJobEnv, ParsesPairsAndRejectsGarbage) {
  EXPECT_TRUE(ParseJobEnv("")->empty());
  EXPECT_EQ(*ParseJobEnv("WERF_BUILDAH_MODE=auto, A_1=x=y,EMPTY="),
            (std::vector<std::pair<std::string, std::string>>{
                {"WERF_BUILDAH_MODE", "auto"}, {"A_1", "x=y"}, {"EMPTY", ""}}));
  EXPECT_EQ(ParseJobEnv("NOEQUALS").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJobEnv("1A=b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseJobEnv("A-B=c").status().code(), absl::StatusCode::kInvalidArgument);
  const absl::Status pinned = ParseJobEnv("WERF_BUILDAH_MODE=auto,WERF_HOME=/elsewhere").status();
  EXPECT_EQ(pinned.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pinned.message()), HasSubstr("--job_env: WERF_HOME is set by the converger"));
  const absl::Status gate = ParseJobEnv("NELM_FEAT_PREVIEW_V2=true").status();
  EXPECT_THAT(std::string(gate.message()), HasSubstr("--job_env: NELM_FEAT_PREVIEW_V2 is refused"));
}

TEST(SecretOwnerPatch, PointsAtTheJob) {
  const json job = {{"metadata", {{"name", "shop-a-1"}, {"namespace", "team-a"}, {"uid", "job-uid"}}}};
  EXPECT_EQ(SecretOwnerPatch(job), (json{{"metadata",
                                          {{"ownerReferences", {{{"apiVersion", "batch/v1"},
                                                                 {"kind", "Job"},
                                                                 {"name", "shop-a-1"},
                                                                 {"uid", "job-uid"},
                                                                 {"controller", true},
                                                                 {"blockOwnerDeletion", false}}}}}}}));
}

}  // namespace
}  // namespace werf::converger
