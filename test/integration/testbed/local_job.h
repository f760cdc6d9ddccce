// Runs a Job's container as a host process, with what the kubelet would give it in a pod:
// the container's command and args, its env, its volumes (emptyDirs as empty directories,
// Secret volumes as the Secret's items with their modes), and its termination-message file.
// For tests of a werf Job's container against the real peers (API server, registries) where
// no real node runs it: the kwok test bed fakes pods, and the werf stand-in runs here instead.
//
// The one change: the pod's filesystem is a fresh directory (`root`), so every path under a
// volume mount or the termination-message path, in the command, args and env values (also
// inside `:`-separated lists, and single-quoted inside a `sh -c` script), is prefixed with it.
// Nothing else is added to the environment but PATH (`path`) and KUBECONFIG (a kubeconfig with
// the Job's ServiceAccount token, which is what in-cluster configuration would give), plus
// `extra_env`. The process runs as the current user, not the pod's runAsUser.
#ifndef WERF_TEST_INTEGRATION_TESTBED_LOCAL_JOB_H_
#define WERF_TEST_INTEGRATION_TESTBED_LOCAL_JOB_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace werf::testbed {

struct LocalJobOptions {
  // PATH of the process; empty means the werf stand-in, the test bed's tools and /usr/bin:/bin.
  std::string path;
  // Added after the container's env (overriding it per name).
  std::vector<std::pair<std::string, std::string>> extra_env;
  // Appended to the container's args (e.g. to show what werf makes of a flag it lacks).
  std::vector<std::string> extra_args;
  // Replaces the container's args when set.
  std::optional<std::vector<std::string>> args;
  absl::Duration timeout = absl::Minutes(5);
};

struct LocalJobResult {
  int exit_code = -1;
  // stdout and stderr interleaved, as `kubectl logs` shows them.
  std::string log;
  // The termination message as the kubelet reports it: the file's content (at most its last
  // 4096 bytes), or with FallbackToLogsOnError and a failed container and an empty file, the
  // log's last 80 lines within 2048 bytes.
  std::string termination_message;
  // The pod's filesystem root; a path P of the pod is root + P.
  std::string root;
  // The argv that was run (after the env -i prefix), for messages.
  std::vector<std::string> argv;
};

// Runs the first container of `job` (a batch/v1 Job) with `secret` (the Secret its secret
// volumes name; nullopt when it has none). Fails when the Job cannot be prepared or the process
// not run; a non-zero exit is a result.
absl::StatusOr<LocalJobResult> RunJobLocally(const nlohmann::json& job, const std::optional<nlohmann::json>& secret,
                                             const LocalJobOptions& options = {});

// `s` with every occurrence of "\u21b5\n" (nelm's soft wrap of long log lines, which it writes
// even when the output is no terminal) and the padding before it removed.
std::string UnwrapNelmLines(const std::string& s);

}  // namespace werf::testbed

#endif  // WERF_TEST_INTEGRATION_TESTBED_LOCAL_JOB_H_
