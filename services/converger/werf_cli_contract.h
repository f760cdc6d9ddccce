// The werf CLI contract as data: the part of werf v2's `bundle apply` and `bundle plan`
// command line and environment that the converger's Jobs rely on, and a checker that
// parses a Job's werf arguments the way werf's cobra/pflag does. Every Job the builder
// can produce is run through it (werf_cli_contract_test.cc), so a flag werf does not
// have, a flag without its value, or a missing required flag fails a unit test instead
// of every Job in a cluster.
//
// Where each fact comes from (github.com/werf/werf and github.com/werf/nelm) is cited
// beside the table in werf_cli_contract.cc.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_WERF_CLI_CONTRACT_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_WERF_CLI_CONTRACT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace werf::converger {

enum class WerfCommand { kBundleApply, kBundlePlan };

// How pflag reads a flag's value.
enum class WerfFlagValue {
  kBool,         // `--flag` or `--flag=true|false`; never takes the next argument
  kString,       // `--flag value` or `--flag=value`
  kInt,          // as kString, and the value must be an integer
  kStringArray,  // as kString, may be repeated, each occurrence adds one value
};

struct WerfFlag {
  absl::string_view name;  // long name without "--"
  char shorthand;          // '\0' when the flag has none
  WerfFlagValue value;
  bool in_apply;  // defined by `werf bundle apply`
  bool in_plan;   // defined by `werf bundle plan`
  // werf exits 1 without it ("--repo=ADDRESS param required"). werf checks this at run
  // time, not cobra, so nothing else would catch it before a Job runs.
  bool required;
};

// The flags of `bundle apply` and `bundle plan` the converger may use. Anything else is
// "unknown" to the checker, even where werf has it: adding a flag means adding it here,
// with its source.
absl::Span<const WerfFlag> WerfFlags();

// What werf's parser made of the arguments: the subcommand and every flag with its
// value, in order (a bool flag without "=value" has the value "true").
struct ParsedWerfArgs {
  WerfCommand command = WerfCommand::kBundleApply;
  std::vector<std::pair<std::string, std::string>> flags;

  // The last value given for `name` (pflag: the last one wins), or nullptr.
  const std::string* Value(absl::string_view name) const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> Values(absl::string_view name) const;
};

// Parses `args` (what follows the `werf` executable) as cobra and pflag would for the
// flags in WerfFlags(): InvalidArgument with cobra's wording for an unknown command, an
// unknown flag or shorthand, a flag without its value, a value that is not a bool or an
// integer where one is needed, or a positional argument (the bundle commands take none
// from us).
absl::StatusOr<ParsedWerfArgs> ParseWerfArgs(absl::Span<const std::string> args);

// ParseWerfArgs, then what werf checks later and what the converger relies on:
// required flags present and non-empty; `--log-color-mode` one of on/off/auto;
// `--deploy-report-path` only with `--save-deploy-report` and ending in ".json"
// (werf appends ".json" to a path without an extension and rejects any other one, so
// only a ".json" path is written where the converger looks).
absl::Status CheckWerfArgs(absl::Span<const std::string> args);

// Environment variables the converger sets itself (so a bundle's env or --job_env
// cannot move werf off the mounted writable directories, its credentials or its trust
// roots, or switch telemetry on). Naming one elsewhere is refused.
absl::Span<const absl::string_view> PinnedWerfEnv();
// nelm's feature gates, NELM_FEAT_<NAME>=true; they change werf's behaviour and exit
// codes (`bundle plan --exit-code` exits 3 with two of them), so they are refused.
inline constexpr absl::string_view kNelmFeatureGatePrefix = "NELM_FEAT_";

// InvalidArgument naming `name` when werf's environment must not carry it: a pinned
// variable or a nelm feature gate. `where` names the source for the message, e.g.
// "converge request env" or "--job_env".
absl::Status CheckWerfEnvName(absl::string_view name, absl::string_view where);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_WERF_CLI_CONTRACT_H_
