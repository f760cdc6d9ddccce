#include "services/converger/werf_cli_contract.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"

namespace werf::converger {
namespace {

// werf v2.75.3 is the `2-stable` image. The sources were read from stored copies of
// github.com/werf/werf and github.com/werf/nelm that are not pinned to a tag; where a
// copy's commit is known it is named. werf's go.mod at 001bc227 requires
// nelm v1.24.4-0.20260618…, i.e. the copies are of the v2.7x line that ships nelm 1.24.
//
// werf (paths in github.com/werf/werf):
//  - cmd/werf/bundle/apply/apply.go (copy 01433054): the apply command's own flags
//    `--tag` (default $WERF_TAG or "latest"), `-t/--timeout` (int, "Resources tracking
//    timeout in seconds", passed to nelm as TrackCreation/Deletion/ReadinessTimeout,
//    i.e. per resource, not per run), `-R/--auto-rollback`; common.SetupSaveDeployReport,
//    SetupDeployReportPath, SetupValues, SetupRelease, SetupNamespace, SetupRepoOptions,
//    SetupLogOptions, SetupInsecureRegistry, SetupSkipTlsVerifyRegistry.
//  - cmd/werf/bundle/plan/plan.go (copy 01aa2e5c): `--tag`, `--exit-code` (bool,
//    nelm's ErrorIfChangesPlanned), SetupValuesFlags, SetupRelease, SetupNamespace,
//    SetupRepoOptions, SetupLogOptions; NO timeout and NO deploy report flags.
//  - docs/_includes/reference/cli/werf_bundle_apply.md (copy 01aa2e5c) and
//    werf_bundle_plan.md (copy 02bd1909): the generated flag lists agree (apply has
//    `-t, --timeout=0`, `--save-deploy-report`, `--deploy-report-path`; plan has none
//    of them).
//  - cmd/werf/common/common.go: `--repo`/`--release`/`--namespace` are plain string
//    flags (werf, not cobra, enforces the required ones); GetRequiredRelease returns
//    "--release=RELEASE param required"; GetNamespace defaults to "default";
//    `--log-color-mode` (string: on, off, auto) and `--log-pretty` (bool) are persistent
//    flags; `--insecure-registry` is "Use plain HTTP requests when accessing a
//    registry"; `--skip-tls-verify-registry` skips certificate validation;
//    GetDeployReportPath keeps ".json", appends ".json" to a path without extension and
//    rejects any other extension; SetupDockerConfig reads $WERF_DOCKER_CONFIG, then
//    $DOCKER_CONFIG, then ~/.docker.
//  - cmd/werf/common/repo_data.go: RepoData.GetAddress returns "--repo=ADDRESS param
//    required" for an empty --repo.
//  - cmd/werf/common/helm.go NewBundlesRegistryClient and
//    pkg/deploy/bundles/registry/client.go (copy 078996f7): --insecure-registry becomes
//    the resolver's plainHTTP (HTTP to every registry host), --skip-tls-verify-registry
//    an http.Transport with InsecureSkipVerify. The containerd resolver behind it gives
//    loopback hosts plain HTTP regardless.
//  - cmd/werf/main.go: an error wrapping nelm's ErrChangesPlanned or
//    ErrResourceChangesPlanned exits 2, ErrReleaseInstallPlanned exits 3, any other 1.
//  - pkg/werf/main.go Init: $WERF_TMP_DIR wins over --tmp-dir over os.TempDir()
//    ($TMPDIR); $WERF_HOME wins over --home-dir over ~/.werf.
//  - pkg/telemetry/telemetry.go (copy aff67d82) IsEnabled: on for release builds unless
//    $WERF_TELEMETRY is set to false.
// nelm (paths in github.com/werf/nelm):
//  - pkg/action/release_plan_install.go: ErrResourceChangesPlanned for resource
//    changes, ErrReleaseInstallPlanned for "no resource changes planned, but still must
//    install release" (a failed previous release, changed values). In nelm 1.x the
//    latter is returned only with NELM_FEAT_MORE_DETAILED_EXIT_CODE_FOR_PLAN or
//    NELM_FEAT_PREVIEW_V2 (nelm's workflow docs), otherwise it is exit 2 as well.
//  - pkg/featgate/feat.go: a gate is on when NELM_FEAT_<NAME> is exactly "true".
//  - pkg/action/release_install.go: the report (version, release, namespace, revision,
//    status deployed|failed|skipped, completed/canceled/failedOperations) is saved after
//    plan execution, successful or not, and when the release is skipped; failures
//    before that (pull, render, validation, lock) leave none. A failure to save it is a
//    non-critical error: "succeeded release …, but non-critical errors encountered",
//    exit 1.
constexpr WerfFlag kFlags[] = {
    // name, shorthand, value, in_apply, in_plan, required
    {"repo", '\0', WerfFlagValue::kString, true, true, true},
    {"tag", '\0', WerfFlagValue::kString, true, true, false},
    {"release", '\0', WerfFlagValue::kString, true, true, true},
    {"namespace", '\0', WerfFlagValue::kString, true, true, false},
    {"log-color-mode", '\0', WerfFlagValue::kString, true, true, false},
    {"log-pretty", '\0', WerfFlagValue::kBool, true, true, false},
    {"values", '\0', WerfFlagValue::kStringArray, true, true, false},
    {"insecure-registry", '\0', WerfFlagValue::kBool, true, true, false},
    {"skip-tls-verify-registry", '\0', WerfFlagValue::kBool, true, true, false},
    {"timeout", 't', WerfFlagValue::kInt, true, false, false},
    {"save-deploy-report", '\0', WerfFlagValue::kBool, true, false, false},
    {"deploy-report-path", '\0', WerfFlagValue::kString, true, false, false},
    {"exit-code", '\0', WerfFlagValue::kBool, false, true, false},
};

// The environment the converger owns (see job_builder.cc for the values):
//  HOME, TMPDIR: werf writes $HOME/.werf and $HOME/.cache/helm and its temporary files;
//  WERF_HOME, WERF_TMP_DIR: they win over everything else (pkg/werf/main.go);
//  WERF_TELEMETRY: pinned to false; DOCKER_CONFIG and WERF_DOCKER_CONFIG (the latter
//  wins): the mounted credentials; SSL_CERT_DIR: the mounted registry CA.
constexpr absl::string_view kPinnedEnv[] = {"HOME",           "TMPDIR",        "WERF_HOME",
                                            "WERF_TMP_DIR",   "WERF_TELEMETRY", "DOCKER_CONFIG",
                                            "WERF_DOCKER_CONFIG", "SSL_CERT_DIR"};

absl::string_view CommandName(WerfCommand command) {
  return command == WerfCommand::kBundlePlan ? "werf bundle plan" : "werf bundle apply";
}

bool Offered(const WerfFlag& flag, WerfCommand command) {
  return command == WerfCommand::kBundlePlan ? flag.in_plan : flag.in_apply;
}

const WerfFlag* FindLong(absl::string_view name, WerfCommand command) {
  for (const WerfFlag& flag : kFlags) {
    if (flag.name == name && Offered(flag, command)) return &flag;
  }
  return nullptr;
}

const WerfFlag* FindShort(char shorthand, WerfCommand command) {
  for (const WerfFlag& flag : kFlags) {
    if (flag.shorthand != '\0' && flag.shorthand == shorthand && Offered(flag, command)) return &flag;
  }
  return nullptr;
}

absl::Status Invalid(WerfCommand command, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(CommandName(command), ": ", what));
}

// pflag's bool syntax is Go's strconv.ParseBool.
bool IsGoTrue(absl::string_view value) {
  return value == "1" || value == "t" || value == "T" || value == "TRUE" || value == "true" ||
         value == "True";
}
bool IsGoBool(absl::string_view value) {
  return IsGoTrue(value) || value == "0" || value == "f" || value == "F" || value == "FALSE" ||
         value == "false" || value == "False";
}

absl::Status CheckValue(WerfCommand command, const WerfFlag& flag, absl::string_view shown,
                        absl::string_view value) {
  if (flag.value == WerfFlagValue::kBool && !IsGoBool(value)) {
    return Invalid(command, absl::StrCat("invalid argument \"", value, "\" for \"", shown,
                                         "\" flag: strconv.ParseBool: parsing \"", value,
                                         "\": invalid syntax"));
  }
  int64_t number = 0;
  if (flag.value == WerfFlagValue::kInt && !absl::SimpleAtoi(value, &number)) {
    return Invalid(command, absl::StrCat("invalid argument \"", value, "\" for \"", shown,
                                         "\" flag: strconv.ParseInt: parsing \"", value,
                                         "\": invalid syntax"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Span<const WerfFlag> WerfFlags() { return kFlags; }

absl::Span<const absl::string_view> PinnedWerfEnv() { return kPinnedEnv; }

const std::string* ParsedWerfArgs::Value(absl::string_view name) const {
  const std::string* found = nullptr;
  for (const auto& [flag, value] : flags) {
    if (flag == name) found = &value;
  }
  return found;
}

std::vector<std::string> ParsedWerfArgs::Values(absl::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [flag, value] : flags) {
    if (flag == name) values.push_back(value);
  }
  return values;
}

absl::StatusOr<ParsedWerfArgs> ParseWerfArgs(absl::Span<const std::string> args) {
  ParsedWerfArgs parsed;
  if (args.size() < 2 || args[0] != "bundle" || (args[1] != "apply" && args[1] != "plan")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "werf: expected `bundle apply` or `bundle plan`, got `",
        args.empty() ? "" : args[0], args.size() > 1 ? absl::StrCat(" ", args[1]) : "", "`"));
  }
  parsed.command = args[1] == "plan" ? WerfCommand::kBundlePlan : WerfCommand::kBundleApply;
  const WerfCommand command = parsed.command;
  for (size_t i = 2; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    if (arg == "--" || arg.size() < 2 || arg[0] != '-') {
      return Invalid(command, absl::StrCat("unexpected argument \"", arg,
                                           "\" (the bundle commands take no positional arguments)"));
    }
    if (arg[1] == '-') {
      absl::string_view name = arg.substr(2);
      std::optional<absl::string_view> inline_value;
      if (const size_t equals = name.find('='); equals != absl::string_view::npos) {
        inline_value = name.substr(equals + 1);
        name = name.substr(0, equals);
      }
      const WerfFlag* flag = FindLong(name, command);
      if (flag == nullptr) return Invalid(command, absl::StrCat("unknown flag: --", name));
      std::string value;
      if (inline_value) {
        value = std::string(*inline_value);
      } else if (flag->value == WerfFlagValue::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];  // pflag takes the next argument, whatever it looks like
      } else {
        return Invalid(command, absl::StrCat("flag needs an argument: --", name));
      }
      RETURN_IF_ERROR(CheckValue(command, *flag, absl::StrCat("--", name), value));
      parsed.flags.emplace_back(std::string(flag->name), std::move(value));
      continue;
    }
    // Shorthands: `-t600`, `-t=600`, `-t 600`; bool shorthands may be grouped.
    for (size_t at = 1; at < arg.size(); ++at) {
      const WerfFlag* flag = FindShort(arg[at], command);
      if (flag == nullptr) {
        return Invalid(command, absl::StrCat("unknown shorthand flag: '", std::string(1, arg[at]), "' in ", arg));
      }
      const std::string shown = absl::StrCat("-", std::string(1, arg[at]));
      std::string value;
      absl::string_view rest = arg.substr(at + 1);
      if (absl::ConsumePrefix(&rest, "=") || (!rest.empty() && flag->value != WerfFlagValue::kBool)) {
        value = std::string(rest);
        at = arg.size();
      } else if (flag->value == WerfFlagValue::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
        at = arg.size();
      } else {
        return Invalid(command, absl::StrCat("flag needs an argument: '", std::string(1, arg[at]), "' in ", arg));
      }
      RETURN_IF_ERROR(CheckValue(command, *flag, shown, value));
      parsed.flags.emplace_back(std::string(flag->name), std::move(value));
    }
  }
  return parsed;
}

absl::Status CheckWerfArgs(absl::Span<const std::string> args) {
  ASSIGN_OR_RETURN(const ParsedWerfArgs parsed, ParseWerfArgs(args));
  const WerfCommand command = parsed.command;
  for (const WerfFlag& flag : kFlags) {
    if (!flag.required || !Offered(flag, command)) continue;
    const std::string* value = parsed.Value(flag.name);
    if (value == nullptr || value->empty()) {
      std::string upper = flag.name == "repo" ? "ADDRESS" : "RELEASE";
      return Invalid(command, absl::StrCat("--", flag.name, "=", upper, " param required"));
    }
  }
  if (const std::string* mode = parsed.Value("log-color-mode");
      mode != nullptr && *mode != "on" && *mode != "off" && *mode != "auto") {
    return Invalid(command, absl::StrCat("bad --log-color-mode \"", *mode, "\": on, off or auto"));
  }
  if (const std::string* path = parsed.Value("deploy-report-path"); path != nullptr) {
    const std::string* save = parsed.Value("save-deploy-report");
    if (save == nullptr || !IsGoTrue(*save)) {
      return Invalid(command, "--deploy-report-path without --save-deploy-report writes no report");
    }
    if (!absl::EndsWith(*path, ".json") || path->size() <= 5) {
      return Invalid(command, absl::StrCat("--deploy-report-path \"", *path,
                                           "\" must end in .json: werf appends .json to a path "
                                           "without an extension and rejects other extensions"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckWerfEnvName(absl::string_view name, absl::string_view where) {
  if (absl::StartsWith(name, kNelmFeatureGatePrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", name, " is refused: nelm feature gates change what werf does and how it "
        "exits (bundle plan --exit-code would exit 3); remove it"));
  }
  if (std::find(std::begin(kPinnedEnv), std::end(kPinnedEnv), name) != std::end(kPinnedEnv)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", name, " is set by the converger (werf's writable directories, credentials, "
        "CA and telemetry) and cannot be overridden; remove it"));
  }
  return absl::OkStatus();
}

}  // namespace werf::converger
