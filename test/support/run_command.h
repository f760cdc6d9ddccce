// Runs a tool to completion and captures what it printed: kubectl, crane, etcdctl,
// grpcurl, curl, the testbed script. For a process that outlives the call (a service,
// a leader-election candidate) use ChildProcess.
#ifndef WERF_OPERATOR_TEST_SUPPORT_RUN_COMMAND_H_
#define WERF_OPERATOR_TEST_SUPPORT_RUN_COMMAND_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace werf::test_support {

struct CommandResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_data;
  absl::Duration timeout = absl::Seconds(60);
  // Added to (or overriding) this process's environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
};

// Runs argv[0] (searched in PATH) in its own process group and captures its output. Fails only
// when the command cannot run or times out (DeadlineExceeded; the group is killed); a non-zero
// exit is a result, not an error.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// Like RunCommand, but a non-zero exit is an error carrying stderr; returns stdout.
absl::StatusOr<std::string> RunCommandOk(const std::vector<std::string>& argv, const RunOptions& options = {});

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_RUN_COMMAND_H_
