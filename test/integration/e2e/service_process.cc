#include "test/integration/e2e/service_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace werf::e2e {

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(
    const std::string& name, const std::string& binary, std::vector<std::string> args,
    const std::string& log_dir, absl::Duration timeout) {
  std::unique_ptr<ServiceProcess> process(new ServiceProcess());
  process->log_path_ = absl::StrCat(log_dir, "/", name, ".log");
  args.insert(args.begin(), binary);
  args.push_back("--grpc_address=127.0.0.1:0");
  args.push_back("--http_address=127.0.0.1:0");
  const int log_fd = open(process->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", process->log_path_));
  const off_t start_offset = lseek(log_fd, 0, SEEK_END);
  process->pid_ = fork();
  if (process->pid_ == 0) {
    dup2(log_fd, STDERR_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::ifstream in(process->log_path_);
    in.seekg(start_offset);
    std::string line;
    while (std::getline(in, line)) {
      const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_object() && record.value("msg", "") == "serving") {
        process->grpc_address_ = record.value("grpc_address", "");
        process->http_address_ = record.value("http_address", "");
        return process;
      }
    }
    if (!process->Running()) {
      return absl::InternalError(absl::StrCat(name, " exited during start; see ", process->log_path_));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(name, " did not start serving; see ",
                                                  process->log_path_));
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0 && !reaped_) Kill();
}

bool ServiceProcess::Running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void ServiceProcess::Kill() {
  if (reaped_) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  reaped_ = true;
}

int ServiceProcess::Terminate(absl::Duration timeout) {
  if (reaped_) return -1;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return -1;
}

std::vector<std::string> ServiceProcess::LogLines(const std::string& message) const {
  std::vector<std::string> lines;
  std::ifstream in(log_path_);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_object() && record.value("msg", "") == message) lines.push_back(line);
  }
  return lines;
}

}  // namespace werf::e2e
