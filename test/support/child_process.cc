#include "test/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "test/support/spawn.h"
#include "test/support/unique_name.h"

namespace werf::test_support {
namespace {

constexpr size_t kQuotedOutput = 4000;

std::string ReadFrom(const std::string& path, off_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string Tail(absl::string_view text) {
  return std::string(text.size() > kQuotedOutput ? text.substr(text.size() - kQuotedOutput) : text);
}

int StreamIndex(ChildProcess::Stream stream) { return stream == ChildProcess::Stream::kStdout ? 0 : 1; }

}  // namespace

const std::string& TempDir() {
  static const std::string* dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/werf-test-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) return new std::string("/tmp");
    auto* made = new std::string(pattern);
    std::atexit([] {
      if (std::getenv("WERF_KEEP_TEST_LOGS") != nullptr) {
        std::fprintf(stderr, "test output files kept in %s\n", TempDir().c_str());
        return;
      }
      // Failing tests quote what they need from these files.
      std::error_code ignored;
      std::filesystem::remove_all(TempDir(), ignored);
    });
    return made;
  }();
  return *dir;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(std::vector<std::string> argv,
                                                                  ChildProcessOptions options) {
  if (argv.empty()) return absl::InvalidArgumentError("ChildProcess::Start needs a command");
  if (options.name.empty()) options.name = std::filesystem::path(argv[0]).filename().string();
  std::unique_ptr<ChildProcess> process(new ChildProcess(std::move(options)));
  const ChildProcessOptions& opts = process->options_;

  int child_fds[2] = {-1, -1};
  const auto close_all = [&] {
    if (child_fds[0] >= 0) ::close(child_fds[0]);
    if (child_fds[1] >= 0 && child_fds[1] != child_fds[0]) ::close(child_fds[1]);
    for (Sink& sink : process->sinks_) {
      if (sink.read_fd >= 0) ::close(sink.read_fd);
      sink.read_fd = -1;
    }
  };
  const ChildOutput* outputs[2] = {&opts.stdout_to, &opts.stderr_to};
  for (int i = 0; i < 2; ++i) {
    Sink& sink = process->sinks_[i];
    sink.kind = outputs[i]->kind;
    switch (sink.kind) {
      case ChildOutput::Kind::kInherit:
        break;
      case ChildOutput::Kind::kFile:
      case ChildOutput::Kind::kTempFile: {
        sink.path = sink.kind == ChildOutput::Kind::kFile
                        ? outputs[i]->path
                        : absl::StrCat(TempDir(), "/", opts.name, "-", UniqueName("p"), i == 0 ? ".out" : ".err");
        if (i == 1 && process->sinks_[0].path == sink.path && child_fds[0] >= 0) {
          child_fds[1] = child_fds[0];
          sink.start_offset = process->sinks_[0].start_offset;
          break;
        }
        const bool append = sink.kind == ChildOutput::Kind::kFile && outputs[i]->append;
        child_fds[i] =
            ::open(sink.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
        if (child_fds[i] < 0) {
          const std::string error = std::strerror(errno);
          close_all();
          return absl::InternalError(absl::StrCat("cannot open ", sink.path, ": ", error));
        }
        sink.start_offset = append ? ::lseek(child_fds[i], 0, SEEK_END) : 0;
        break;
      }
      case ChildOutput::Kind::kCapture: {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
          close_all();
          return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
        }
        sink.read_fd = fds[0];
        child_fds[i] = fds[1];
        break;
      }
    }
  }
  const int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  SpawnRequest request;
  request.argv = std::move(argv);
  request.env = opts.env;
  request.working_dir = opts.working_dir;
  request.own_process_group = opts.own_process_group;
  request.stdin_fd = dev_null;
  request.stdout_fd = child_fds[0];
  request.stderr_fd = child_fds[1];
  absl::StatusOr<pid_t> pid = Spawn(request);
  if (dev_null >= 0) ::close(dev_null);
  if (!pid.ok()) {
    close_all();
    return pid.status();
  }
  process->pid_ = *pid;
  if (child_fds[0] >= 0) ::close(child_fds[0]);
  if (child_fds[1] >= 0 && child_fds[1] != child_fds[0]) ::close(child_fds[1]);
  for (int i = 0; i < 2; ++i) {
    if (process->sinks_[i].read_fd >= 0) process->pumps_[i] = std::thread([raw = process.get(), i] { raw->Pump(i); });
  }
  return process;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    if (options_.stop_grace <= absl::ZeroDuration() || Terminate(options_.stop_grace) < 0) Kill();
  }
  // Whatever the process left behind in its group goes with it.
  if (pid_ > 0 && options_.own_process_group) ::kill(-pid_, SIGKILL);
  stop_pumps_ = true;
  for (std::thread& pump : pumps_) {
    if (pump.joinable()) pump.join();
  }
}

void ChildProcess::Pump(int index) {
  const int fd = sinks_[index].read_fd;
  size_t echoed = 0;
  absl::Time give_up = absl::InfiniteFuture();
  char buffer[65536];
  while (absl::Now() < give_up) {
    // Once the process is gone, a grandchild still holding the pipe gets one more second.
    if (stop_pumps_ && give_up == absl::InfiniteFuture()) give_up = absl::Now() + absl::Seconds(1);
    pollfd p = {fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 50);
    if (ready > 0) {
      const ssize_t n = ::read(fd, buffer, sizeof(buffer));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
      if (n < 0) continue;
      absl::MutexLock lock(&mu_);
      std::string& text = captured_[index].text;
      text.append(buffer, static_cast<size_t>(n));
      if (!options_.echo_prefix.empty()) {
        for (size_t end = text.find('\n', echoed); end != std::string::npos; end = text.find('\n', echoed)) {
          std::fprintf(stderr, "%s%s\n", options_.echo_prefix.c_str(),
                       std::string(absl::StripTrailingAsciiWhitespace(text.substr(echoed, end - echoed))).c_str());
          echoed = end + 1;
        }
      }
    }
  }
  ::close(fd);
  absl::MutexLock lock(&mu_);
  if (!options_.echo_prefix.empty() && echoed < captured_[index].text.size()) {
    std::fprintf(stderr, "%s%s\n", options_.echo_prefix.c_str(), captured_[index].text.substr(echoed).c_str());
  }
  captured_[index].eof = true;
}

const std::string& ChildProcess::OutputPath(Stream stream) const { return sinks_[StreamIndex(stream)].path; }

absl::Status ChildProcess::Signal(int signal) {
  if (reaped_) return absl::FailedPreconditionError(absl::StrCat(name(), " has already exited"));
  if (pid_ <= 0) return absl::FailedPreconditionError(absl::StrCat(name(), " never started"));
  const pid_t target = options_.own_process_group ? -pid_ : pid_;
  if (::kill(target, signal) != 0) {
    return absl::InternalError(absl::StrCat("kill(", target, ", ", signal, "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void ChildProcess::Kill() {
  if (reaped_) return;
  (void)Signal(SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) exit_code_ = ExitCode(status);
  reaped_ = true;
}

int ChildProcess::Terminate(absl::Duration timeout) {
  if (reaped_) return -1;
  (void)Signal(SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_code_ = ExitCode(status);
      return exit_code_;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return -1;
}

absl::StatusOr<int> ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!reaped_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      exit_code_ = ExitCode(status);
      break;
    }
    if (done < 0) return absl::InternalError(absl::StrCat("waitpid(", pid_, "): ", std::strerror(errno)));
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(name(), " (pid ", pid_, ") still runs after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return exit_code_;
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    exit_code_ = ExitCode(status);
    return false;
  }
  return true;
}

std::string ChildProcess::RawText(Stream stream) const {
  const Sink& sink = sinks_[StreamIndex(stream)];
  switch (sink.kind) {
    case ChildOutput::Kind::kInherit:
      return "";
    case ChildOutput::Kind::kFile:
    case ChildOutput::Kind::kTempFile:
      return ReadFrom(sink.path, sink.start_offset);
    case ChildOutput::Kind::kCapture: {
      absl::MutexLock lock(&mu_);
      return captured_[StreamIndex(stream)].text;
    }
  }
  return "";
}

std::string ChildProcess::Text(Stream stream) const {
  std::string text = RawText(stream);
  bool ended = reaped_;
  if (sinks_[StreamIndex(stream)].kind == ChildOutput::Kind::kCapture) {
    absl::MutexLock lock(&mu_);
    ended = captured_[StreamIndex(stream)].eof;
  }
  // A line still being written is not a line yet.
  if (!ended) text.resize(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  return text;
}

std::vector<std::string> ChildProcess::Lines(Stream stream) const {
  std::vector<std::string> lines;
  const std::string text = Text(stream);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    lines.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  if (!text.empty() && text.back() == '\n') lines.pop_back();
  if (text.empty()) lines.clear();
  return lines;
}

bool ChildProcess::Ended(Stream stream) {
  if (sinks_[StreamIndex(stream)].kind == ChildOutput::Kind::kCapture) {
    absl::MutexLock lock(&mu_);
    return captured_[StreamIndex(stream)].eof;
  }
  return !Running();
}

absl::StatusOr<std::string> ChildProcess::WaitForLine(Stream stream, absl::FunctionRef<bool(absl::string_view)> matches,
                                                      absl::Duration timeout) {
  const absl::Time deadline = timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  while (true) {
    // Whether it ended is asked first: the lines read after it are then all there are.
    const bool ended = Ended(stream);
    for (const std::string& line : Lines(stream)) {
      if (matches(line)) return line;
    }
    if (ended) {
      return absl::FailedPreconditionError(absl::StrCat(name(), " (pid ", pid_, ") ended without printing the line",
                                                        " awaited; its output:\n", Tail(RawText(stream))));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(name(), " (pid ", pid_, ") did not print the line awaited within ",
                                                      absl::FormatDuration(timeout), "; its output:\n",
                                                      Tail(RawText(stream))));
    }
    absl::SleepFor(options_.poll_interval);
  }
}

}  // namespace werf::test_support
