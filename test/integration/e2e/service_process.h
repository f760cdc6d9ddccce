// One of the operator's real binaries running as a child process for a test:
// started with port 0 for its servers, its JSON log captured to a file, its
// "serving" line read to learn the chosen addresses.
#ifndef WERF_OPERATOR_TEST_INTEGRATION_E2E_SERVICE_PROCESS_H_
#define WERF_OPERATOR_TEST_INTEGRATION_E2E_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace werf::e2e {

class ServiceProcess {
 public:
  // Starts `binary` with `args` plus --grpc_address/--http_address on 127.0.0.1:0
  // and waits for its "serving" log line. `name` names the log file in `log_dir`.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(
      const std::string& name, const std::string& binary, std::vector<std::string> args,
      const std::string& log_dir, absl::Duration timeout = absl::Seconds(20));
  ~ServiceProcess();  // SIGKILL if still running

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& http_address() const { return http_address_; }
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }

  bool Running();
  // SIGKILL, no goodbye: what a node failure or OOM kill looks like.
  void Kill();
  // SIGTERM, then the exit code (or -1 when it did not exit in time).
  int Terminate(absl::Duration timeout = absl::Seconds(20));
  // Log lines whose "msg" equals `message` (parsed JSON objects, as text).
  std::vector<std::string> LogLines(const std::string& message) const;

 private:
  ServiceProcess() = default;

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string grpc_address_;
  std::string http_address_;
  std::string log_path_;
};

}  // namespace werf::e2e

#endif  // WERF_OPERATOR_TEST_INTEGRATION_E2E_SERVICE_PROCESS_H_
