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
// Where werf writes its deploy report: the container's termination-message file, so
// the report comes back in the Pod status without logs or a shared volume.
inline constexpr char kTerminationLog[] = "/dev/termination-log";
inline constexpr char kValuesDir[] = "/werf/values";
inline constexpr char kDockerConfigDir[] = "/werf/docker";
inline constexpr char kRegistryCaDir[] = "/werf/ca";
inline constexpr char kHomeDir[] = "/werf/home";
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
  // activeDeadlineSeconds = timeout + margin: image pull and start-up, and werf's own
  // clean-up after its timeout, must fit before Kubernetes kills the pod.
  absl::Duration deadline_margin = absl::Minutes(5);
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

// werf's arguments (after the `werf` command): `bundle apply` or `bundle plan
// --exit-code`, then the inputs, one `--values` per file in order.
std::vector<std::string> WerfArgs(const pb::ConvergeRequest& request, size_t values_files,
                                  const JobBuilderOptions& options);

absl::StatusOr<JobManifests> BuildJobManifests(const pb::ConvergeRequest& request,
                                               absl::string_view job_name,
                                               const JobInputs& inputs,
                                               const JobBuilderOptions& options);

// Parses --job_env: "KEY=VALUE,KEY2=VALUE2" (empty: none). InvalidArgument on an entry
// without "=" or with a name that is not an environment variable name.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseJobEnv(absl::string_view text);

// A merge patch that makes `job` the owner of its per-Job Secret.
nlohmann::json SecretOwnerPatch(const nlohmann::json& job);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_JOB_BUILDER_H_
