// A child process a test starts and keeps running while it talks to it: one of the
// operator's binaries, a leader-election candidate. Its stdout and stderr go where the
// test wants them (inherited, a file, a temporary file, or captured in memory), the test
// waits for a line it printed, signals it, and the destructor never leaves it running.
// For a command run to completion, see run_command.h; for the services' JSON log lines
// ("serving" and its addresses), service_log.h.
#ifndef WERF_OPERATOR_TEST_SUPPORT_CHILD_PROCESS_H_
#define WERF_OPERATOR_TEST_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace werf::test_support {

// A private directory of this test process for output files, created on first use and
// removed at exit unless WERF_KEEP_TEST_LOGS is set (then its path is printed).
const std::string& TempDir();

// Where a child's stdout or stderr goes.
struct ChildOutput {
  enum class Kind {
    kInherit,   // this process's descriptor
    kFile,      // `path`, kept; truncated, or appended to when `append`
    kTempFile,  // a file in TempDir() named after the process
    kCapture,   // a pipe read into memory by a thread of the ChildProcess
  };
  static ChildOutput Inherit() { return {}; }
  static ChildOutput File(std::string path, bool append = false) {
    return {.kind = Kind::kFile, .path = std::move(path), .append = append};
  }
  static ChildOutput TempFile() { return {.kind = Kind::kTempFile, .path = {}, .append = false}; }
  static ChildOutput Capture() { return {.kind = Kind::kCapture, .path = {}, .append = false}; }

  Kind kind = Kind::kInherit;
  std::string path{};
  bool append = false;
};

struct ChildProcessOptions {
  // Names the process in messages and temporary files; argv[0]'s base name when empty.
  std::string name{};
  // Added to (or overriding) this process's environment.
  std::vector<std::pair<std::string, std::string>> env{};
  std::string working_dir{};
  // stdin is /dev/null. stdout and stderr naming the same kFile share one descriptor
  // (one log holding both, in order).
  ChildOutput stdout_to{};
  ChildOutput stderr_to{};
  // A process group of its own: signals then go to the whole group, and the destructor
  // kills the group. Off by default so that Ctrl-C on the test also reaches its children.
  bool own_process_group = false;
  // The destructor's SIGTERM grace before SIGKILL; zero kills at once.
  absl::Duration stop_grace = absl::ZeroDuration();
  // How often WaitForLine looks again.
  absl::Duration poll_interval = absl::Milliseconds(50);
  // When not empty, every captured line is also written to this process's stderr with
  // this prefix (to watch a service's log live).
  std::string echo_prefix{};
};

class ChildProcess {
 public:
  enum class Stream { kStdout, kStderr };

  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(std::vector<std::string> argv,
                                                             ChildProcessOptions options = {});
  // Ends the process as ChildProcessOptions::stop_grace says, then reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return options_.name; }
  // The file a kFile or kTempFile stream goes to ("" otherwise).
  const std::string& OutputPath(Stream stream) const;

  // Sends `signal` (to the group, with own_process_group).
  absl::Status Signal(int signal);
  // SIGKILL, no goodbye (what a node failure or OOM kill looks like), and reap.
  void Kill();
  // SIGTERM, then the exit code, or -1 when it did not exit within `timeout` (or had
  // already been reaped).
  int Terminate(absl::Duration timeout);
  // Waits for the process to end; its exit code (128 + signal when killed).
  absl::StatusOr<int> Wait(absl::Duration timeout);
  bool Running();

  // What the stream received since the start (empty for kInherit). Complete lines
  // only, unless the stream has ended.
  std::string Text(Stream stream) const;
  std::vector<std::string> Lines(Stream stream) const;
  // The first line of `stream` (from the start) for which `matches` holds, waiting up to
  // `timeout` (absl::InfiniteDuration() for ever). Fails early when the stream ended
  // without one, quoting the end of the output.
  absl::StatusOr<std::string> WaitForLine(Stream stream, absl::FunctionRef<bool(absl::string_view)> matches,
                                          absl::Duration timeout);

 private:
  struct Sink {
    ChildOutput::Kind kind = ChildOutput::Kind::kInherit;
    std::string path{};
    off_t start_offset = 0;  // appended files: what came before this process is not its
    int read_fd = -1;        // kCapture
  };
  struct Captured {
    std::string text{};
    bool eof = false;
  };

  explicit ChildProcess(ChildProcessOptions options) : options_(std::move(options)) {}
  void Pump(int index);
  bool Ended(Stream stream);
  std::string RawText(Stream stream) const;

  ChildProcessOptions options_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  Sink sinks_[2];
  std::thread pumps_[2];
  std::atomic<bool> stop_pumps_{false};
  mutable absl::Mutex mu_;
  Captured captured_[2] ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_CHILD_PROCESS_H_
