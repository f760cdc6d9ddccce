// The werf Job for a ConvergeRequest, as a pure function: request + what was read
// from the bundle's namespace + converger options -> Job and per-Job Secret JSON.
// No I/O, so every field is unit-tested (job_builder_test.cc).
//
// Secret material (values, registry credentials, CA) goes into ONE per-Job Secret in
// the target namespace and reaches werf only as mounted files: never in args, env,
// annotations or labels. The Secret is created before the Job and then owned by it
// (see job_launcher.h), so garbage collection removes it with the Job.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_JOB_BUILDER_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_JOB_BUILDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

namespace pb = ::werf::operator_::v1;

inline constexpr char kDefaultWerfImage[] = "registry.werf.io/werf/werf:2-stable";
// The werf container's name: the monitor reads this container's exit code and logs.
inline constexpr char kWerfContainer[] = "werf";
// The container's termination-message file: the entrypoint (werf_entrypoint.h) writes
// the compacted deploy report there, so it comes back in the Pod status without logs.
inline constexpr char kTerminationLog[] = "/dev/termination-log";
// werf writes its report into this emptyDir (uid 1000 can write it; the path ends in
// .json so werf writes exactly there), and the entrypoint reads it after werf exits.
inline constexpr char kReportDir[] = "/werf/report";
inline constexpr char kReportPath[] = "/werf/report/report.json";
inline constexpr char kValuesDir[] = "/werf/values";
inline constexpr char kDockerConfigDir[] = "/werf/docker";
inline constexpr char kRegistryCaDir[] = "/werf/ca";
inline constexpr char kHomeDir[] = "/werf/home";
inline constexpr char kWerfHomeDir[] = "/werf/home/.werf";
inline constexpr char kTmpDir[] = "/tmp";
// werf's image runs as this user; its home and /tmp are emptyDirs (read-only root).
inline constexpr int64_t kWerfUid = 1000;

// Every field has a default member initializer, so designated initializers may name
// only what they set.
struct JobBuilderOptions {
  // --werf_image; ConvergeRequest.image overrides it.
  std::string default_image = std::string(kDefaultWerfImage);
  // --job_env: non-secret environment for werf; the request's env overrides it per name.
  std::vector<std::pair<std::string, std::string>> job_env{};
  // werf's -t when the request has no timeout (the CRD defaults it to 10m).
  absl::Duration default_timeout = absl::Minutes(10);
  // The whole-run deadline of an apply Job (see ActiveDeadlineSeconds).
  int64_t deadline_factor = 6;
  // Image pull and start-up, and werf's own clean-up after a timeout.
  absl::Duration deadline_margin = absl::Minutes(5);
  // ttlSecondsAfterFinished of a drift check (capped by log_retention_days): checks run
  // every few minutes and their outcome is recorded in status, so a week of them would be
  // hundreds of finished Jobs and pods per bundle.
  absl::Duration drift_check_ttl = absl::Hours(1);
  // > 0: ttlSecondsAfterFinished regardless of log_retention_days. For tests only.
  int64_t ttl_seconds_override = 0;
  // Requests and limits when the request leaves them empty.
  std::string default_cpu = "1";
  std::string default_memory = "1Gi";
};

// What the converger read for one request; every byte of it is treated as secret.
struct JobInputs {
  // Values files in valuesFrom order (later wins in werf); skipped optional sources
  // are simply absent.
  std::vector<std::string> values{};
  // values_from_secret[i]: values[i] came from a Secret (and is redacted from logs).
  std::vector<bool> values_from_secret{};
  // A docker config.json with the registry credentials; empty for anonymous pulls.
  std::string docker_config_json{};
  // PEM CA bundle for the registry; empty for the system roots.
  std::string registry_ca_pem{};

  bool empty() const { return values.empty() && docker_config_json.empty() && registry_ca_pem.empty(); }
};

struct JobManifests {
  // Name of the Job and of its Secret, and their namespace (the target namespace).
  std::string name;
  std::string ns;
  nlohmann::json job;
  // Absent when the request needs no files (no values, anonymous registry, system CA).
  std::optional<nlohmann::json> secret;
};

// InvalidArgument naming the field when the request cannot become a Job.
absl::Status ValidateConvergeRequest(const pb::ConvergeRequest& request);

// request.job_name when set (the controller computes it with hub::JobName); otherwise
// hub::JobNameForRequest, with the minute of `now` (Unix minutes) as the attempt of a
// drift check, so that each check is a new Job while a re-sent request within the
// minute is not. The controller always sets job_name; this is a fallback.
std::string ResolveJobName(const pb::ConvergeRequest& request, absl::Time now);

// werf's arguments (after the `werf` command), within the werf CLI contract
// (werf_cli_contract.h): `bundle apply` with `-t` and the deploy report, or `bundle plan
// --exit-code` (which has neither), then one `--values` per file in order, then
// `--insecure-registry` for a plain-HTTP registry or `--skip-tls-verify-registry` for
// an HTTPS one whose certificate is not to be verified.
std::vector<std::string> WerfArgs(const pb::ConvergeRequest& request, size_t values_files,
                                  const JobBuilderOptions& options);

// The Job's activeDeadlineSeconds, or nullopt for none. werf's -t bounds each resource's
// tracking, not the run: nelm deploys in stages (hooks, weights) and tracks each stage up
// to -t, so one run may legitimately take several times -t. Hence, for apply:
// deadline_factor × timeout + deadline_margin (deadline_factor 0: no deadline; -t still
// bounds every tracking wait). A drift check tracks nothing: timeout + margin.
std::optional<int64_t> ActiveDeadlineSeconds(const pb::ConvergeRequest& request,
                                             const JobBuilderOptions& options);

absl::StatusOr<JobManifests> BuildJobManifests(const pb::ConvergeRequest& request,
                                               absl::string_view job_name,
                                               const JobInputs& inputs,
                                               const JobBuilderOptions& options);

// Parses --job_env: "KEY=VALUE,KEY2=VALUE2" (empty: none). InvalidArgument on an entry
// without "=", with a name that is not an environment variable name, or with one werf's
// environment must not carry (CheckWerfEnvName: pinned by the converger, NELM_FEAT_*).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseJobEnv(absl::string_view text);

// A merge patch that makes `job` the owner of its per-Job Secret.
nlohmann::json SecretOwnerPatch(const nlohmann::json& job);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_JOB_BUILDER_H_
