#include "services/gateway/integration/gateway_test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

extern char** environ;

namespace werf::gateway::testing {
namespace {

constexpr char kGatewayBinary[] = WERF_GATEWAY_BINARY;
constexpr char kSourceDir[] = WERF_SOURCE_DIR;

}  // namespace

// --- GatewayProcess ---------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<GatewayProcess>> GatewayProcess::Start(
    const std::vector<std::string>& extra_flags) {
  absl::StatusOr<const testbed::TestbedEnv*> env = testbed::EnsureTestbed();
  if (!env.ok()) return env.status();
  std::vector<std::string> argv = {kGatewayBinary,
                                   absl::StrCat("--kubeconfig=", (*env)->Value("KUBECONFIG")),
                                   "--grpc_address=127.0.0.1:0", "--http_address=127.0.0.1:0",
                                   "--drain_timeout=5s"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());

  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The test process may block signals (gRPC threads); the gateway needs SIGTERM.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);

  std::unique_ptr<GatewayProcess> process(new GatewayProcess());
  const int spawned = ::posix_spawn(&process->pid_, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(err_pipe[1]);
  if (spawned != 0) {
    ::close(err_pipe[0]);
    return absl::InternalError(absl::StrCat("cannot start ", kGatewayBinary, ": errno ", spawned));
  }
  process->reader_ = std::thread([raw = process.get(), fd = err_pipe[0]] { raw->ReadLogs(fd); });
  if (absl::Status serving = process->WaitForServing(absl::Seconds(30)); !serving.ok()) {
    return serving;
  }
  // Ready means the informer has the first list.
  const std::string http = process->http_address_;
  absl::Status ready = testbed::WaitFor(
      "werf-gateway /readyz",
      [&]() -> absl::StatusOr<bool> {
        absl::StatusOr<HttpAnswer> answer = CurlGet(http, "/readyz");
        return answer.ok() && answer->status == 200;
      },
      absl::Seconds(30), absl::Milliseconds(50));
  if (!ready.ok()) return ready;
  return process;
}

void GatewayProcess::ReadLogs(int fd) {
  FILE* stream = ::fdopen(fd, "r");
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  while ((length = ::getline(&line, &capacity, stream)) > 0) {
    std::string text(line, static_cast<size_t>(length));
    absl::StripTrailingAsciiWhitespace(&text);
    if (std::getenv("WERF_GATEWAY_TEST_LOGS") != nullptr) std::fprintf(stderr, "gateway: %s\n", text.c_str());
    absl::MutexLock lock(&mu_);
    lines_.push_back(std::move(text));
  }
  std::free(line);
  std::fclose(stream);
  absl::MutexLock lock(&mu_);
  eof_ = true;
}

absl::Status GatewayProcess::WaitForServing(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t seen = 0;
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mu_);
      for (; seen < lines_.size(); ++seen) {
        nlohmann::json record = nlohmann::json::parse(lines_[seen], nullptr, false);
        if (record.is_object() && record.value("msg", "") == "serving") {
          grpc_address_ = record.value("grpc_address", "");
          http_address_ = record.value("http_address", "");
          return absl::OkStatus();
        }
      }
      if (eof_) {
        return absl::InternalError(absl::StrCat("werf-gateway exited before serving; its log:\n",
                                                absl::StrJoin(lines_, "\n")));
      }
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("werf-gateway did not log \"serving\" within 30s");
}

int GatewayProcess::Terminate(absl::Duration timeout) {
  if (reaped_ || pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return -1;
}

GatewayProcess::~GatewayProcess() {
  if (!reaped_ && pid_ > 0 && Terminate() < 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
}

absl::StatusOr<int64_t> GatewayProcess::MemoryBytes(absl::string_view field) const {
  std::ifstream status(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, field) || !absl::ConsumePrefix(&rest, ":")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    int64_t kib = 0;
    if (absl::ConsumeSuffix(&rest, " kB") && absl::SimpleAtoi(rest, &kib)) return kib * 1024;
  }
  return absl::NotFoundError(absl::StrCat("no ", field, " in /proc/", pid_, "/status"));
}

absl::StatusOr<absl::Duration> GatewayProcess::CpuTime() const {
  std::ifstream file(absl::StrCat("/proc/", pid_, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Fields after the command (which may hold spaces) start at the last ')'.
  const size_t end_of_command = stat.rfind(')');
  if (end_of_command == std::string::npos) return absl::NotFoundError("no /proc/<pid>/stat");
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(end_of_command + 2), ' ');
  // utime and stime are fields 14 and 15 of stat(5); the slice starts at field 3.
  int64_t user = 0;
  int64_t system = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user) || !absl::SimpleAtoi(fields[12], &system)) {
    return absl::InternalError(absl::StrCat("unexpected /proc/", pid_, "/stat: ", stat));
  }
  return absl::Seconds(static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

std::vector<std::string> GatewayProcess::LogLines() const {
  absl::MutexLock lock(&mu_);
  return lines_;
}

// --- Kubernetes -----------------------------------------------------------------------------

absl::Status EnsureBundleCrd() {
  const std::string crd = absl::StrCat(kSourceDir, "/deploy/kustomize/base/crd-werfbundles.yaml");
  absl::StatusOr<std::string> applied = testbed::Kubectl(
      {"apply", "--server-side", "--force-conflicts", "--field-manager=werf-gateway-tests", "-f", crd});
  if (!applied.ok()) return applied.status();
  return testbed::Kubectl({"wait", "--for=condition=Established", "--timeout=60s",
                           "crd/werfbundles.werf.io"})
      .status();
}

absl::StatusOr<std::unique_ptr<TestNamespace>> TestNamespace::Create(absl::string_view prefix) {
  std::string name = testbed::UniqueName(prefix);
  absl::StatusOr<std::string> created = testbed::Kubectl({"create", "namespace", name});
  if (!created.ok()) return created.status();
  return std::unique_ptr<TestNamespace>(new TestNamespace(std::move(name)));
}

TestNamespace::~TestNamespace() {
  // A controller running in the test bed at the same time (another test's) may have put
  // finalizers on the bundles and be gone by now; they would hold the namespace forever.
  absl::StatusOr<std::string> bundles = testbed::Kubectl(
      {"get", "werfbundles.werf.io", "-n", name_, "-o",
       R"(jsonpath={range .items[?(@.metadata.finalizers)]}{.metadata.name}{"\n"}{end})"});
  if (bundles.ok()) {
    for (absl::string_view bundle : absl::StrSplit(*bundles, '\n', absl::SkipWhitespace())) {
      (void)testbed::Kubectl({"patch", "werfbundles.werf.io", std::string(bundle), "-n", name_,
                              "--type=merge", "-p", R"({"metadata":{"finalizers":null}})"});
    }
  }
  (void)testbed::Kubectl({"delete", "namespace", name_, "--wait=false", "--ignore-not-found"});
}

absl::Status ApplyBundle(absl::string_view ns, absl::string_view name,
                         const std::map<std::string, std::string>& labels) {
  nlohmann::json bundle = {
      {"apiVersion", "werf.io/v1alpha1"},
      {"kind", "WerfBundle"},
      {"metadata", {{"namespace", ns}, {"name", name}}},
      {"spec",
       {{"registry", {{"url", "registry.example.com/gateway-tests/app"}, {"pollInterval", "15m"}}},
        {"converge", {{"serviceAccountName", "deployer"}}}}}};
  if (!labels.empty()) bundle["metadata"]["labels"] = labels;
  return testbed::ApplyYaml(bundle.dump());  // JSON is YAML
}

absl::Status DeleteBundle(absl::string_view ns, absl::string_view name) {
  absl::StatusOr<std::string> deleted = testbed::Kubectl(
      {"delete", "werfbundles.werf.io", std::string(name), "-n", std::string(ns), "--wait=false"});
  if (!deleted.ok()) return deleted.status();
  (void)testbed::Kubectl({"patch", "werfbundles.werf.io", std::string(name), "-n", std::string(ns),
                          "--type=merge", "-p", R"({"metadata":{"finalizers":null}})"});
  return absl::OkStatus();
}

absl::Status PatchBundleStatus(absl::string_view ns, absl::string_view name,
                               const nlohmann::json& status) {
  return testbed::Kubectl({"patch", "werfbundles.werf.io", std::string(name), "-n", std::string(ns),
                           "--subresource=status", "--type=merge", "-p",
                           nlohmann::json{{"status", status}}.dump()})
      .status();
}

std::string ForeignStatusWriters(absl::string_view ns) {
  absl::StatusOr<std::string> listed = testbed::Kubectl(
      {"get", "werfbundles.werf.io", "-n", std::string(ns), "-o", "json", "--show-managed-fields"});
  if (!listed.ok()) return "";
  std::set<std::string> writers;
  const nlohmann::json list = nlohmann::json::parse(*listed, nullptr, false);
  if (!list.is_object()) return "";
  for (const nlohmann::json& item : list.value("items", nlohmann::json::array())) {
    for (const nlohmann::json& field : item["metadata"].value("managedFields", nlohmann::json::array())) {
      const std::string manager = field.value("manager", "");
      if (field.value("subresource", "") == "status" && !absl::StartsWith(manager, "kubectl")) {
        writers.insert(manager);
      }
    }
  }
  if (writers.empty()) return "";
  return absl::StrCat("another controller (", absl::StrJoin(writers, ", "),
                      ") also wrote these bundles' status during the test; run the integration "
                      "tests one at a time, as `make test` does");
}

// --- clients ----------------------------------------------------------------------------------

absl::StatusOr<testbed::CommandResult> Grpcurl(const std::vector<std::string>& args,
                                               absl::Duration timeout) {
  std::vector<std::string> argv = {"grpcurl", "-plaintext"};
  argv.insert(argv.end(), args.begin(), args.end());
  return testbed::RunCommand(argv, {.stdin_data = "", .timeout = timeout, .env = {}, .working_dir = ""});
}

std::vector<nlohmann::json> ParseJsonStream(absl::string_view text) {
  std::vector<nlohmann::json> messages;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && depth > 0 && --depth == 0) {
      nlohmann::json message =
          nlohmann::json::parse(text.substr(start, i - start + 1), nullptr, /*allow_exceptions=*/false);
      if (!message.is_discarded()) messages.push_back(std::move(message));
    }
  }
  return messages;
}

absl::StatusOr<HttpAnswer> CurlGet(absl::string_view address, absl::string_view path,
                                   const std::vector<std::string>& headers) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}"};
  for (const std::string& header : headers) {
    argv.push_back("-H");
    argv.push_back(header);
  }
  argv.push_back(absl::StrCat("http://", address, path));
  absl::StatusOr<std::string> out = testbed::RunCommandOk(argv);
  if (!out.ok()) return out.status();
  const size_t newline = out->rfind('\n');
  HttpAnswer answer;
  if (newline == std::string::npos || !absl::SimpleAtoi(out->substr(newline + 1), &answer.status)) {
    return absl::InternalError(absl::StrCat("curl printed no status code: ", *out));
  }
  answer.body = out->substr(0, newline);
  answer.json = nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  if (answer.json.is_discarded()) answer.json = nullptr;
  return answer;
}

}  // namespace werf::gateway::testing
