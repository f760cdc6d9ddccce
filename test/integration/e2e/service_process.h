// One of the operator's real binaries running as a child process for a test (a
// test_support::ChildProcess): started with port 0 for its servers, its stdout and
// stderr appended to <log_dir>/<name>.log (kept for after the run), its "serving" line
// read to learn the chosen addresses.
#ifndef WERF_OPERATOR_TEST_INTEGRATION_E2E_SERVICE_PROCESS_H_
#define WERF_OPERATOR_TEST_INTEGRATION_E2E_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "test/support/child_process.h"

namespace werf::e2e {

class ServiceProcess {
 public:
  // Starts `binary` with `args` plus --grpc_address/--http_address on 127.0.0.1:0
  // and waits for its "serving" log line. `name` names the log file in `log_dir`.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(
      const std::string& name, const std::string& binary, std::vector<std::string> args,
      const std::string& log_dir, absl::Duration timeout = absl::Seconds(20));
  // SIGKILL if still running (ChildProcess's destructor).

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& http_address() const { return http_address_; }
  const std::string& log_path() const { return process_->OutputPath(test_support::ChildProcess::Stream::kStderr); }
  pid_t pid() const { return process_->pid(); }

  bool Running() { return process_->Running(); }
  // SIGKILL, no goodbye: what a node failure or OOM kill looks like.
  void Kill() { process_->Kill(); }
  // SIGTERM, then the exit code (or -1 when it did not exit in time).
  int Terminate(absl::Duration timeout = absl::Seconds(20)) { return process_->Terminate(timeout); }
  // This process's log lines (not an earlier one's in the same file) whose "msg" equals
  // `message` (parsed JSON objects, as text).
  std::vector<std::string> LogLines(const std::string& message) const;

 private:
  explicit ServiceProcess(std::unique_ptr<test_support::ChildProcess> process) : process_(std::move(process)) {}

  std::unique_ptr<test_support::ChildProcess> process_;
  std::string grpc_address_;
  std::string http_address_;
};

}  // namespace werf::e2e

#endif  // WERF_OPERATOR_TEST_INTEGRATION_E2E_SERVICE_PROCESS_H_
