#include "test/support/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "test/support/spawn.h"

namespace werf::test_support {
namespace {

std::string DescribeCommand(const std::vector<std::string>& argv) { return absl::StrJoin(argv, " "); }

std::string Tail(absl::string_view text, size_t max_chars) {
  return std::string(text.size() > max_chars ? text.substr(text.size() - max_chars) : text);
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("Run: empty command");
  // A child that exits before reading its stdin must not kill the test with SIGPIPE.
  static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  SpawnRequest request;
  request.argv = argv;
  request.env = options.env;
  request.working_dir = options.working_dir;
  request.own_process_group = true;
  request.stdin_fd = in_pipe[0];
  request.stdout_fd = out_pipe[1];
  request.stderr_fd = err_pipe[1];
  const absl::StatusOr<pid_t> spawned = Spawn(request);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (!spawned.ok()) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return spawned.status();
  }
  const pid_t pid = *spawned;

  CommandResult result;
  int stdin_fd = in_pipe[1];
  size_t stdin_written = 0;
  if (options.stdin_data.empty()) {
    ::close(stdin_fd);
    stdin_fd = -1;
  } else {
    ::fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  const absl::Time deadline = absl::Now() + options.timeout;
  absl::Time exited_at = absl::InfiniteFuture();
  bool exited = false, timed_out = false;
  int wait_status = 0;
  char buffer[65536];
  // Reads until both pipes close; once the child has exited, a grandchild still holding a
  // pipe open gets one more second before we stop listening.
  while (true) {
    if (!exited && ::waitpid(pid, &wait_status, WNOHANG) == pid) {
      exited = true;
      exited_at = absl::Now();
    }
    if (exited && ((out_fd < 0 && err_fd < 0) || absl::Now() > exited_at + absl::Seconds(1))) break;
    if (!exited && absl::Now() > deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &wait_status, 0);
      exited = true;
      break;
    }
    std::vector<pollfd> fds;
    if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
    if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
    if (stdin_fd >= 0) fds.push_back({stdin_fd, POLLOUT, 0});
    ::poll(fds.data(), fds.size(), 50);
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == stdin_fd) {
        const ssize_t n =
            ::write(stdin_fd, options.stdin_data.data() + stdin_written, options.stdin_data.size() - stdin_written);
        if (n > 0) stdin_written += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN) || stdin_written == options.stdin_data.size()) {
          ::close(stdin_fd);
          stdin_fd = -1;
        }
        continue;
      }
      const ssize_t n = ::read(p.fd, buffer, sizeof(buffer));
      if (n > 0) {
        (p.fd == out_fd ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(p.fd);
        (p.fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  for (int fd : {stdin_fd, out_fd, err_fd}) {
    if (fd >= 0) ::close(fd);
  }
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat("`", DescribeCommand(argv), "` did not finish within ",
                                                    absl::FormatDuration(options.timeout),
                                                    "; stderr: ", Tail(result.err, 2000)));
  }
  result.exit_code = ExitCode(wait_status);
  return result;
}

absl::StatusOr<std::string> RunCommandOk(const std::vector<std::string>& argv, const RunOptions& options) {
  auto result = RunCommand(argv, options);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("`", DescribeCommand(argv), "` exited with ", result->exit_code, ": ",
                                            Tail(absl::StripAsciiWhitespace(result->err), 2000)));
  }
  return std::move(result->out);
}

}  // namespace werf::test_support
