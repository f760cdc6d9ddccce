// The werf CLI contract: the checker behaves like werf's cobra/pflag, and every Job the
// builder can produce passes it.
#include "services/converger/werf_cli_contract.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/converger/job_builder.h"
#include "services/converger/werf_entrypoint.h"

namespace werf::converger {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

const std::vector<std::string> kApply = {"bundle", "apply", "--repo", "r.example.com/a", "--tag", "1.0.0",
                                         "--release", "a", "--namespace", "ns"};
const std::vector<std::string> kPlan = {"bundle", "plan", "--exit-code", "--repo", "r.example.com/a",
                                        "--tag", "1.0.0", "--release", "a", "--namespace", "ns"};

std::vector<std::string> With(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

TEST(WerfFlags, AreUniqueAndEachBelongsToACommand) {
  std::set<std::string> names;
  for (const WerfFlag& flag : WerfFlags()) {
    EXPECT_TRUE(names.insert(std::string(flag.name)).second) << flag.name;
    EXPECT_TRUE(flag.in_apply || flag.in_plan) << flag.name;
  }
}

TEST(ParseWerfArgs, ReadsFlagsAsPflagDoes) {
  absl::StatusOr<ParsedWerfArgs> parsed =
      ParseWerfArgs(With(kApply, {"--log-pretty=false", "--save-deploy-report", "-t", "600", "--values", "a.yaml",
                                  "--values=b.yaml", "--log-color-mode=off"}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->command, WerfCommand::kBundleApply);
  EXPECT_EQ(*parsed->Value("repo"), "r.example.com/a");
  EXPECT_EQ(*parsed->Value("log-pretty"), "false");
  EXPECT_EQ(*parsed->Value("save-deploy-report"), "true") << "a bool flag alone means true";
  EXPECT_EQ(*parsed->Value("timeout"), "600") << "-t is --timeout";
  EXPECT_EQ(parsed->Values("values"), (std::vector<std::string>{"a.yaml", "b.yaml"}));
  EXPECT_EQ(parsed->Value("exit-code"), nullptr);
  for (const char* form : {"-t600", "-t=600"}) {
    absl::StatusOr<ParsedWerfArgs> shorthand = ParseWerfArgs(With(kApply, {form}));
    ASSERT_TRUE(shorthand.ok()) << form << ": " << shorthand.status();
    EXPECT_EQ(*shorthand->Value("timeout"), "600") << form;
  }
  absl::StatusOr<ParsedWerfArgs> plan = ParseWerfArgs(kPlan);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->command, WerfCommand::kBundlePlan);
  EXPECT_EQ(*plan->Value("exit-code"), "true");
}

TEST(ParseWerfArgs, RefusesWhatCobraRefuses) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const Case cases[] = {
      {{"converge"}, "expected `bundle apply` or `bundle plan`"},
      {{"bundle", "publish"}, "expected `bundle apply` or `bundle plan`"},
      {With(kApply, {"--no-such-flag"}), "werf bundle apply: unknown flag: --no-such-flag"},
      // The defects of issue 13: plan has no tracking timeout and no deploy report.
      {With(kPlan, {"-t", "600"}), "werf bundle plan: unknown shorthand flag: 't' in -t"},
      {With(kPlan, {"--timeout=600"}), "werf bundle plan: unknown flag: --timeout"},
      {With(kPlan, {"--save-deploy-report"}), "unknown flag: --save-deploy-report"},
      {With(kApply, {"--exit-code"}), "werf bundle apply: unknown flag: --exit-code"},
      {With(kApply, {"--values"}), "flag needs an argument: --values"},
      {With(kApply, {"-t"}), "flag needs an argument: 't' in -t"},
      {With(kApply, {"-t", "ten"}), "invalid argument \"ten\" for \"-t\" flag"},
      {With(kApply, {"--log-pretty=no"}), "invalid argument \"no\" for \"--log-pretty\" flag"},
      {With(kApply, {"shop"}), "unexpected argument \"shop\""},
      {With(kApply, {"--", "--tag"}), "unexpected argument \"--\""},
  };
  for (const Case& c : cases) {
    const absl::Status status = ParseWerfArgs(c.args).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.error;
    EXPECT_THAT(Message(status), HasSubstr(c.error));
  }
}

TEST(CheckWerfArgs, RequiresWhatWerfRequiresAndAReportPathEndingInJson) {
  EXPECT_TRUE(CheckWerfArgs(kApply).ok());
  EXPECT_TRUE(CheckWerfArgs(kPlan).ok());
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const Case cases[] = {
      {{"bundle", "apply", "--tag", "1", "--release", "a"}, "--repo=ADDRESS param required"},
      {{"bundle", "plan", "--repo", "r/a", "--release="}, "--release=RELEASE param required"},
      {With(kApply, {"--log-color-mode", "never"}), "bad --log-color-mode \"never\""},
      // werf would write /dev/termination-log.json, which uid 1000 cannot create.
      {With(kApply, {"--save-deploy-report", "--deploy-report-path", "/dev/termination-log"}),
       "must end in .json"},
      {With(kApply, {"--save-deploy-report", "--deploy-report-path", "/werf/report/report.txt"}),
       "must end in .json"},
      {With(kApply, {"--deploy-report-path", "/werf/report/report.json"}), "without --save-deploy-report"},
      {With(kApply, {"--save-deploy-report=false", "--deploy-report-path", "/r.json"}),
       "without --save-deploy-report"},
  };
  for (const Case& c : cases) {
    const absl::Status status = CheckWerfArgs(c.args);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.error;
    EXPECT_THAT(Message(status), HasSubstr(c.error));
  }
}

TEST(CheckWerfEnvName, RefusesPinnedVariablesAndFeatureGates) {
  EXPECT_TRUE(CheckWerfEnvName("WERF_BUILDAH_MODE", "--job_env").ok());
  for (absl::string_view pinned : PinnedWerfEnv()) {
    const absl::Status status = CheckWerfEnvName(pinned, "--job_env");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << pinned;
    EXPECT_THAT(Message(status), HasSubstr(absl::StrCat("--job_env: ", pinned, " is set by the converger")));
  }
  const absl::Status gate = CheckWerfEnvName("NELM_FEAT_PREVIEW_V2", "converge request: env");
  EXPECT_EQ(gate.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(gate), HasSubstr("converge request: env: NELM_FEAT_PREVIEW_V2 is refused"));
}

// ---- Every Job the builder can produce, through the contract ----

pb::ConvergeRequest Request(pb::JobKind kind) {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_("team-a");
  request.mutable_bundle()->set_name("shop");
  request.mutable_bundle()->set_uid("uid-1");
  request.set_kind(kind);
  request.set_repository("registry.example.com/team/shop");
  request.set_tag("1.4.2");
  request.set_digest("sha256:abc");
  request.set_release("shop-release");
  request.set_target_namespace("prod");
  request.set_service_account_name("werf-deploy");
  request.mutable_timeout()->set_seconds(600);
  request.set_log_retention_days(7);
  return request;
}

struct Variant {
  std::string name;
  pb::JobKind kind;
  void (*shape)(pb::ConvergeRequest&, JobInputs&, JobBuilderOptions&);
};

void Nothing(pb::ConvergeRequest&, JobInputs&, JobBuilderOptions&) {}
void PlainHttp(pb::ConvergeRequest& r, JobInputs&, JobBuilderOptions&) {
  r.mutable_access()->set_plain_http(true);
  r.mutable_access()->set_insecure(true);  // the controller sets both for registry.plainHTTP
}
void SkipTlsVerify(pb::ConvergeRequest& r, JobInputs&, JobBuilderOptions&) { r.mutable_access()->set_insecure(true); }
void TlsWithCa(pb::ConvergeRequest& r, JobInputs& in, JobBuilderOptions&) {
  r.mutable_access()->mutable_ca_secret()->set_name("registry-ca");
  in.registry_ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
}
void Values(pb::ConvergeRequest&, JobInputs& in, JobBuilderOptions&) {
  in.values = {"replicas: 2\n", "image: {tag: x}\n", "password: hunter2\n"};
}
void Credentials(pb::ConvergeRequest& r, JobInputs& in, JobBuilderOptions&) {
  r.mutable_access()->mutable_credentials_secret()->set_name("registry-pull");
  in.docker_config_json = R"({"auths":{"registry.example.com":{"auth":"dTpw"}}})";
}
void PodMetadata(pb::ConvergeRequest& r, JobInputs&, JobBuilderOptions&) {
  (*r.mutable_pod_labels())["team"] = "payments";
  (*r.mutable_pod_annotations())["sidecar.istio.io/inject"] = "false";
}
void Env(pb::ConvergeRequest& r, JobInputs&, JobBuilderOptions& o) {
  (*r.mutable_env())["WERF_BUILDAH_MODE"] = "native-rootless";
  o.job_env = {{"WERF_LOG_TIME", "true"}, {"WERF_BUILDAH_MODE", "auto"}};
}
void OddTimeout(pb::ConvergeRequest& r, JobInputs&, JobBuilderOptions& o) {
  r.mutable_timeout()->set_seconds(90);
  r.mutable_timeout()->set_nanos(1);
  o.deadline_factor = 0;
}
void DefaultTimeout(pb::ConvergeRequest& r, JobInputs&, JobBuilderOptions& o) {
  r.clear_timeout();
  o.default_timeout = absl::Minutes(3);
}
void Everything(pb::ConvergeRequest& r, JobInputs& in, JobBuilderOptions& o) {
  PlainHttp(r, in, o);
  TlsWithCa(r, in, o);
  Values(r, in, o);
  Credentials(r, in, o);
  PodMetadata(r, in, o);
  Env(r, in, o);
  r.set_image("mirror.local/werf:2");
}

void PrintTo(const Variant& variant, std::ostream* out) { *out << variant.name; }

class EveryJobTest : public ::testing::TestWithParam<Variant> {};

TEST_P(EveryJobTest, PassesTheWerfCliContract) {
  const Variant& v = GetParam();
  pb::ConvergeRequest request = Request(v.kind);
  JobInputs inputs;
  JobBuilderOptions options;
  v.shape(request, inputs, options);
  absl::StatusOr<JobManifests> built = BuildJobManifests(request, "shop-a-0123456789", inputs, options);
  ASSERT_TRUE(built.ok()) << built.status();
  const json& container = built->job["spec"]["template"]["spec"]["containers"][0];
  const std::vector<std::string> args = container["args"].get<std::vector<std::string>>();

  // No unknown flag, every flag with its value, every required flag present, a report
  // path werf writes as given.
  const absl::Status contract = CheckWerfArgs(args);
  ASSERT_TRUE(contract.ok()) << contract << "\nargs: " << json(args).dump();
  const ParsedWerfArgs parsed = *ParseWerfArgs(args);

  // What the builder means by them.
  const bool drift = v.kind == pb::JOB_KIND_DRIFT_CHECK;
  EXPECT_EQ(parsed.command, drift ? WerfCommand::kBundlePlan : WerfCommand::kBundleApply);
  EXPECT_EQ(*parsed.Value("repo"), request.repository());
  EXPECT_EQ(*parsed.Value("tag"), request.tag()) << "always the exact tag, never werf's default";
  EXPECT_EQ(*parsed.Value("release"), request.release());
  EXPECT_EQ(*parsed.Value("namespace"), request.target_namespace());
  EXPECT_EQ(*parsed.Value("log-color-mode"), "off");
  EXPECT_EQ(*parsed.Value("log-pretty"), "false");
  EXPECT_EQ(parsed.Values("values").size(), inputs.values.size());
  if (drift) {
    EXPECT_EQ(*parsed.Value("exit-code"), "true");
    EXPECT_EQ(parsed.Value("timeout"), nullptr);
    EXPECT_EQ(parsed.Value("deploy-report-path"), nullptr);
  } else {
    ASSERT_NE(parsed.Value("deploy-report-path"), nullptr);
    EXPECT_EQ(*parsed.Value("deploy-report-path"), kReportPath);
    EXPECT_TRUE(absl::EndsWith(*parsed.Value("deploy-report-path"), ".json"));
    ASSERT_NE(parsed.Value("timeout"), nullptr);
  }
  const bool plain_http = request.access().plain_http();
  const bool skip_verify = request.access().insecure() && !plain_http;
  EXPECT_EQ(parsed.Value("insecure-registry") != nullptr, plain_http);
  EXPECT_EQ(parsed.Value("skip-tls-verify-registry") != nullptr, skip_verify);

  // The entrypoint runs werf with these args and reads the report where werf writes it,
  // into a volume uid 1000 can write.
  ASSERT_EQ(container["command"].size(), 4u);
  EXPECT_EQ(container["command"][0], "/bin/sh");
  EXPECT_EQ(container["command"][1], "-c");
  EXPECT_THAT(container["command"][2].get<std::string>(), HasSubstr(absl::StrCat("report='", kReportPath, "'")));
  EXPECT_THAT(container["command"][2].get<std::string>(), HasSubstr("werf \"$@\" &"));
  EXPECT_EQ(container["terminationMessagePolicy"], "FallbackToLogsOnError");
  bool report_mounted = false;
  for (const json& mount : container["volumeMounts"]) {
    if (mount["mountPath"] == kReportDir) report_mounted = !mount.value("readOnly", false);
  }
  EXPECT_TRUE(report_mounted) << "the report directory is a writable mount";

  // The environment: each pinned variable once, with the converger's value, and no
  // feature gate.
  std::map<std::string, int> seen;
  for (const json& entry : container["env"]) {
    const std::string name = entry["name"];
    ++seen[name];
    EXPECT_FALSE(absl::StartsWith(name, kNelmFeatureGatePrefix)) << name;
  }
  for (const auto& [name, times] : seen) EXPECT_EQ(times, 1) << name;
  for (absl::string_view pinned : {"HOME", "TMPDIR", "WERF_HOME", "WERF_TMP_DIR", "WERF_TELEMETRY"}) {
    EXPECT_EQ(seen.count(std::string(pinned)), 1u) << pinned;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, EveryJobTest,
    ::testing::Values(Variant{"Apply", pb::JOB_KIND_APPLY, Nothing},
                      Variant{"DriftCheck", pb::JOB_KIND_DRIFT_CHECK, Nothing},
                      Variant{"ApplyPlainHttpRegistry", pb::JOB_KIND_APPLY, PlainHttp},
                      Variant{"DriftCheckPlainHttpRegistry", pb::JOB_KIND_DRIFT_CHECK, PlainHttp},
                      Variant{"ApplyUnverifiedTls", pb::JOB_KIND_APPLY, SkipTlsVerify},
                      Variant{"DriftCheckUnverifiedTls", pb::JOB_KIND_DRIFT_CHECK, SkipTlsVerify},
                      Variant{"ApplyTlsWithCa", pb::JOB_KIND_APPLY, TlsWithCa},
                      Variant{"ApplyValuesFromSeveralSources", pb::JOB_KIND_APPLY, Values},
                      Variant{"DriftCheckValuesFromSeveralSources", pb::JOB_KIND_DRIFT_CHECK, Values},
                      Variant{"ApplyCredentials", pb::JOB_KIND_APPLY, Credentials},
                      Variant{"ApplyPodLabels", pb::JOB_KIND_APPLY, PodMetadata},
                      Variant{"ApplyEnv", pb::JOB_KIND_APPLY, Env},
                      Variant{"ApplyOddTimeoutNoDeadline", pb::JOB_KIND_APPLY, OddTimeout},
                      Variant{"ApplyDefaultTimeout", pb::JOB_KIND_APPLY, DefaultTimeout},
                      Variant{"ApplyEverything", pb::JOB_KIND_APPLY, Everything},
                      Variant{"DriftCheckEverything", pb::JOB_KIND_DRIFT_CHECK, Everything}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace werf::converger
