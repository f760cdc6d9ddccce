#include "test/integration/e2e/service_process.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_context.h"
#include "test/support/service_log.h"

namespace werf::e2e {

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(
    const std::string& name, const std::string& binary, std::vector<std::string> args,
    const std::string& log_dir, absl::Duration timeout) {
  args.insert(args.begin(), binary);
  args.push_back("--grpc_address=127.0.0.1:0");
  args.push_back("--http_address=127.0.0.1:0");
  // One file for both streams, appended to: a restarted service continues its log.
  const std::string log_path = absl::StrCat(log_dir, "/", name, ".log");
  test_support::ChildProcessOptions options;
  options.name = name;
  options.stdout_to = test_support::ChildOutput::File(log_path, /*append=*/true);
  options.stderr_to = test_support::ChildOutput::File(log_path, /*append=*/true);
  options.poll_interval = absl::Milliseconds(50);
  absl::StatusOr<std::unique_ptr<test_support::ChildProcess>> child =
      test_support::ChildProcess::Start(std::move(args), std::move(options));
  if (!child.ok()) return child.status();
  std::unique_ptr<ServiceProcess> process(new ServiceProcess(*std::move(child)));
  absl::StatusOr<test_support::ServingLine> serving = test_support::WaitForServing(*process->process_, timeout);
  if (!serving.ok()) {
    return common::WithContext(serving.status(), absl::StrCat(name, " did not start serving (see ", log_path, ")"));
  }
  process->grpc_address_ = serving->grpc_address;
  process->http_address_ = serving->http_address;
  return process;
}

std::vector<std::string> ServiceProcess::LogLines(const std::string& message) const {
  return test_support::LogLinesWithMessage(*process_, message);
}

}  // namespace werf::e2e
