// The werf container's entrypoint: a POSIX sh wrapper, given inline as the container's
// command, so no image of ours is needed (the werf image has /bin/sh and awk; see the
// README). It
//  - runs `werf "$@"` (the container's args are werf's), forwarding SIGTERM and SIGINT
//    so werf can release its lock and mark the release failed;
//  - after werf exits, turns werf's deploy report (any size) into a compact one-line
//    JSON summary that fits a termination message (Kubernetes keeps only the last
//    4096 bytes, and a cut report no longer parses): the report's head fields, counts
//    of completed/canceled/failed operations, then the failed, canceled and completed
//    operation names for as long as they fit, and "truncated" when some did not;
//  - writes nothing when there is no report (werf failed before deploying), so the
//    kubelet's `FallbackToLogsOnError` makes the log tail the termination message;
//  - exits with werf's exit code (128+n when werf died of signal n).
// werf_entrypoint_test.cc runs the script under dash and busybox with a fake werf.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_WERF_ENTRYPOINT_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_WERF_ENTRYPOINT_H_

#include <cstddef>
#include <string>
#include <vector>

namespace werf::converger {

// $0 of the wrapper, so `ps` and error messages say what runs.
inline constexpr char kEntrypointName[] = "werf-entrypoint";
// What Kubernetes keeps of a termination message (the kubelet's
// MaxContainerTerminationMessageLength).
inline constexpr size_t kTerminationMessageBytes = 4096;

struct EntrypointOptions {
  // Where werf writes its report (--deploy-report-path); removed before werf starts.
  std::string report_path;
  // The container's terminationMessagePath.
  std::string termination_message_path;
  // Upper bound of the summary in bytes.
  size_t max_message_bytes = kTerminationMessageBytes;
};

// The sh script. Paths are single-quoted into it; they must not contain a quote.
std::string EntrypointScript(const EntrypointOptions& options);

// The container's command: {"/bin/sh", "-c", script, kEntrypointName}; the container's
// args (werf's) become "$@".
std::vector<std::string> EntrypointCommand(const EntrypointOptions& options);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_WERF_ENTRYPOINT_H_
