// The one place the test support starts a child process: posix_spawnp with the caller's
// environment additions, working directory and standard file descriptors. ChildProcess
// (long-running services and tools) and RunCommand (run to completion) are built on it.
#ifndef WERF_OPERATOR_TEST_SUPPORT_SPAWN_H_
#define WERF_OPERATOR_TEST_SUPPORT_SPAWN_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace werf::test_support {

struct SpawnRequest {
  // argv[0] is searched in PATH unless it holds a '/'.
  std::vector<std::string> argv{};
  // Added to (or overriding) this process's environment.
  std::vector<std::pair<std::string, std::string>> env{};
  std::string working_dir{};
  // A process group of its own (pgid = pid), so that the whole tree can be killed at once.
  bool own_process_group = false;
  // Descriptors dup'ed onto 0, 1, 2 in the child; -1 leaves this process's one.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Starts the process. Every signal starts with its default action and unblocked: the
// test process ignores SIGPIPE (RunCommand) and gRPC's threads block signals, and
// neither must leak into a service that is to exit on SIGTERM. NotFound when argv[0]
// cannot be run.
absl::StatusOr<pid_t> Spawn(const SpawnRequest& request);

// "128 + signal" for a process killed by a signal, else its exit code.
int ExitCode(int wait_status);

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_SPAWN_H_
