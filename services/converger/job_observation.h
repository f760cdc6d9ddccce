// From Kubernetes objects (a werf Job, its Pods, its log) to the JobObservation the
// controller receives. Pure functions, unit-tested in job_observation_test.cc; the
// I/O lives in job_monitor.cc.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_JOB_OBSERVATION_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_JOB_OBSERVATION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

namespace pb = ::werf::operator_::v1;

// Bounds of what travels to the controller (and into the bundle's status).
inline constexpr int kLogTailLines = 50;
inline constexpr size_t kLogTailBytes = 4096;
inline constexpr size_t kDeployReportBytes = 4096;

enum class JobState {
  kPending,    // created, not started by the Job controller yet
  kRunning,    // started, not finished
  kSucceeded,  // condition Complete=True
  kFailed,     // condition Failed=True
};

JobState StateOfJob(const nlohmann::json& job);

// What the job monitor keeps of a Job (its informer transform): metadata (identity,
// creation and deletion times, labels, annotations), status, and the pod template's
// volumes, which say whether the Job mounts its Secret (redaction fails closed on
// that). The pod template's containers (image, args, env, resources) are most of a
// Job's size and nothing the monitor reads: at thousands of retained Jobs they were
// most of the converger's memory.
nlohmann::json JobForMonitor(nlohmann::json job);
inline bool IsFinished(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed;
}

// What the Job itself says: name, namespace, bundle (from its annotations and labels),
// kind, tag, digest, config hash, start time; phase RUNNING.
pb::JobObservation BaseObservation(const nlohmann::json& job);

// The werf container's end, from the Job's Pods.
struct PodOutcome {
  std::string pod_name;
  // Set when the container terminated.
  std::optional<int> exit_code;
  // state.terminated.message: the compact deploy report the entrypoint wrote
  // (werf_entrypoint.h), or, when werf failed without a report, the log tail the
  // kubelet put there (FallbackToLogsOnError).
  std::string termination_message;
};

// The most recent Pod's werf container (the only container, by name, else the first).
// Nullopt when there is no Pod.
std::optional<PodOutcome> WerfContainerOutcome(const std::vector<nlohmann::json>& pods);

// The log tail, or why there is none (kwok and some clusters serve no logs).
struct LogTail {
  std::string text;
  std::string unavailable_reason;
};

// The observation of a finished Job: phase, exit code, deploy report, log tail, times,
// and a message from the Job's condition, the exit code and the logs. Drift checks
// (`werf bundle plan --exit-code`): exit 0 SUCCEEDED+IN_SYNC; 2 SUCCEEDED+DRIFTED;
// 3 (nelm's "no resource changes, but the release must be installed", only with a
// NELM_FEAT_* gate the converger refuses but an image could set) SUCCEEDED+DRIFTED
// too, since a correcting apply is what it asks for; anything else FAILED+ERROR.
// Without a log from the API, a termination message that is not a report is the
// kubelet's log tail and becomes log_tail.
pb::JobObservation FinishedObservation(const nlohmann::json& job,
                                       const std::optional<PodOutcome>& outcome,
                                       const LogTail& log);

// The deploy report: the entrypoint's compact form ({"version":3, "release", "namespace",
// "revision", "status", "<list>Count", "<list>": [names], "truncated"}) or nelm's own
// report (the same without counts: the lists are complete). Raw text bounded to
// kDeployReportBytes. Nullopt when `message` is not a JSON object.
std::optional<pb::DeployReport> ParseDeployReport(absl::string_view message);

// The last `max_lines` lines of `log`, then at most its last `max_bytes` bytes,
// starting on a line (or at least a UTF-8 character) boundary.
std::string TailOfLog(absl::string_view log, int max_lines = kLogTailLines,
                      size_t max_bytes = kLogTailBytes);

// RFC 3339 as the API server writes it; nullopt when empty or malformed.
std::optional<absl::Time> ParseKubeTime(absl::string_view text);
google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_JOB_OBSERVATION_H_
