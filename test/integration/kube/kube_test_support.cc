#include "test/integration/kube/kube_test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "libs/common/status_macros.h"
#include "libs/kube/api_error.h"
#include "libs/kube/cluster_config.h"
#include "test/integration/testbed/testbed_support.h"

extern char** environ;

namespace werf::kube_test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The field manager the tests use for their own server-side applies.
constexpr absl::string_view kFieldManager = "werf-kube-integration-test";

const nlohmann::json& WidgetCrd() {
  static const nlohmann::json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "widgets.test.werf.io"}}},
      {"spec",
       {{"group", "test.werf.io"},
        {"scope", "Namespaced"},
        {"names",
         {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}, {"listKind", "WidgetList"}}},
        {"versions",
         {{{"name", "v1"},
           {"served", true},
           {"storage", true},
           {"subresources", {{"status", nlohmann::json::object()}}},
           {"schema",
            {{"openAPIV3Schema",
              {{"type", "object"},
               {"properties",
                {{"spec", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
                 {"status", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}}}}}};
  return crd;
}

// The value an InformerRecorder line shows for an object: data.v, else spec.v.
std::string VersionLabel(const nlohmann::json& object) {
  std::string v = DataValue(object, "v");
  if (v.empty() && object.contains("spec") && object["spec"].is_object()) {
    const auto it = object["spec"].find("v");
    if (it != object["spec"].end()) v = it->is_string() ? it->get<std::string>() : it->dump();
  }
  return "v=" + v;
}

}  // namespace

absl::StatusOr<std::shared_ptr<kube::RestClient>> AdminClient(kube::RestOptions options) {
  const char* kubeconfig = getenv("KUBECONFIG");
  if (kubeconfig == nullptr || *kubeconfig == '\0') {
    return absl::FailedPreconditionError("KUBECONFIG is not set: the test bed environment did not run");
  }
  ASSIGN_OR_RETURN(kube::ClusterConfig config, kube::LoadKubeconfig(kubeconfig));
  return kube::RestClient::Create(std::move(config), std::move(options));
}

absl::StatusOr<std::shared_ptr<kube::RestClient>> UnthrottledAdminClient() {
  kube::RestOptions options;
  options.qps = 0;  // no client-side limit
  options.timeout = absl::Seconds(60);
  return AdminClient(options);
}

ScopedNamespace::ScopedNamespace(absl::string_view prefix) : name_(testbed::UniqueName(prefix)) {
  absl::StatusOr<std::shared_ptr<kube::RestClient>> client = AdminClient();
  if (!client.ok()) {
    status_ = client.status();
    return;
  }
  client_ = *client;
  const nlohmann::json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name_}}}};
  status_ = client_->Create(kube::resources::kNamespaces, "", ns).status();
}

ScopedNamespace::~ScopedNamespace() {
  if (client_ == nullptr || !status_.ok()) return;
  // The namespace controller removes the contents; nobody needs to wait for it.
  (void)client_->Delete(kube::resources::kNamespaces, "", name_);
}

absl::Status EnsureWidgetCrd(kube::RestClient& client) {
  RETURN_IF_ERROR(client
                      .Apply(kube::resources::kCustomResourceDefinitions, "", "widgets.test.werf.io", WidgetCrd(),
                             kFieldManager, /*force=*/true)
                      .status());
  return testbed::WaitFor(
      "the widgets.test.werf.io CRD to be served",
      [&]() -> absl::StatusOr<bool> {
        kube::ListOptions options;
        options.limit = 1;
        RETURN_IF_ERROR(client.List(kWidgets, "default", options).status());
        return true;
      },
      absl::Seconds(60));
}

nlohmann::json ConfigMap(absl::string_view name, const std::map<std::string, std::string>& data,
                         const std::map<std::string, std::string>& labels) {
  nlohmann::json object = {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", std::string(name)}}},
                           {"data", data}};
  if (!labels.empty()) object["metadata"]["labels"] = labels;
  return object;
}

nlohmann::json Widget(absl::string_view name, const nlohmann::json& spec,
                      const std::map<std::string, std::string>& labels) {
  nlohmann::json object = {{"apiVersion", "test.werf.io/v1"},
                           {"kind", "Widget"},
                           {"metadata", {{"name", std::string(name)}}},
                           {"spec", spec}};
  if (!labels.empty()) object["metadata"]["labels"] = labels;
  return object;
}

absl::Status CreateInParallel(kube::RestClient& client, const kube::Resource& resource, absl::string_view ns,
                              int count, int threads,
                              const std::function<nlohmann::json(int index)>& make_object) {
  std::atomic<int> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  std::vector<std::thread> workers;
  for (int t = 0; t < std::max(1, threads); ++t) {
    workers.emplace_back([&] {
      for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        absl::Status created = client.Create(resource, ns, make_object(i)).status();
        if (!created.ok()) {
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = created;
          next.store(count);  // stop everyone
          return;
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return first_error;
}

std::string MetadataString(const nlohmann::json& object, absl::string_view field) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  const auto value = metadata->find(std::string(field));
  if (value == metadata->end() || !value->is_string()) return "";
  return value->get<std::string>();
}

std::string DataValue(const nlohmann::json& object, absl::string_view key) {
  const auto data = object.find("data");
  if (data == object.end() || !data->is_object()) return "";
  const auto value = data->find(std::string(key));
  if (value == data->end() || !value->is_string()) return "";
  return value->get<std::string>();
}

// --- InformerRecorder ------------------------------------------------------------------

kube::InformerHandlers InformerRecorder::Handlers() {
  kube::InformerHandlers handlers;
  handlers.on_add = [this](const kube::ObjectPtr& object) {
    Record(absl::StrCat("add ", MetadataString(*object, "name"), " ", VersionLabel(*object)));
  };
  handlers.on_update = [this](const kube::ObjectPtr& old_object, const kube::ObjectPtr& new_object) {
    Record(absl::StrCat("update ", MetadataString(*new_object, "name"), " ", VersionLabel(*old_object), "->",
                        VersionLabel(*new_object)));
  };
  handlers.on_delete = [this](const kube::ObjectPtr& object) {
    Record(absl::StrCat("delete ", MetadataString(*object, "name"), " ", VersionLabel(*object)));
  };
  return handlers;
}

void InformerRecorder::Record(std::string line) {
  absl::MutexLock lock(&mu_);
  lines_.push_back(std::move(line));
}

std::vector<std::string> InformerRecorder::Lines() const {
  absl::MutexLock lock(&mu_);
  return lines_;
}

std::vector<std::string> InformerRecorder::LinesFor(absl::string_view name) const {
  std::vector<std::string> selected;
  for (const std::string& line : Lines()) {
    const std::vector<absl::string_view> words = absl::StrSplit(line, ' ');
    if (words.size() >= 2 && words[1] == name) selected.push_back(line);
  }
  return selected;
}

size_t InformerRecorder::Count() const {
  absl::MutexLock lock(&mu_);
  return lines_.size();
}

absl::Status InformerRecorder::WaitForCount(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached_count = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lines_.size() >= count; };
  const bool reached = mu_.AwaitWithTimeout(absl::Condition(&reached_count), timeout);
  if (reached) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("the informer handlers were called ", lines_.size(),
                                                  " times within ", absl::FormatDuration(timeout),
                                                  ", expected at least ", count, ": ",
                                                  absl::StrJoin(lines_, "; ")));
}

std::map<std::string, std::string> StoreContents(const kube::Informer& informer) {
  std::map<std::string, std::string> contents;
  for (const kube::ObjectPtr& object : informer.store().List()) {
    contents[MetadataString(*object, "name")] = DataValue(*object, "v");
  }
  return contents;
}

absl::Status WaitForStore(const kube::Informer& informer, const std::map<std::string, std::string>& expected,
                          absl::Duration timeout) {
  std::map<std::string, std::string> seen;
  const absl::Status waited = testbed::WaitFor(
      "the informer's store to converge",
      [&]() -> absl::StatusOr<bool> {
        seen = StoreContents(informer);
        return seen == expected;
      },
      timeout, absl::Milliseconds(50));
  if (waited.ok()) return waited;
  const auto render = [](const std::map<std::string, std::string>& m) {
    return absl::StrJoin(m, ", ", absl::PairFormatter("=v"));
  };
  return absl::DeadlineExceededError(
      absl::StrCat(waited.message(), "; store holds {", render(seen), "}, expected {", render(expected), "}"));
}

// --- ChildProcess -----------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                                  absl::string_view name) {
  if (argv.empty()) return absl::InvalidArgumentError("ChildProcess::Start needs a command");
  const std::string base = absl::StrCat(TempDir(), "/", name, "-", testbed::UniqueName("p"));
  const std::string out_path = base + ".out";
  const std::string err_path = base + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", strerror(spawned)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, std::string(name), out_path, err_path));
}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  kill(pid_, SIGKILL);
  (void)Wait(absl::Seconds(10));
}

absl::Status ChildProcess::Signal(int signal) {
  if (reaped_) return absl::FailedPreconditionError(absl::StrCat(name_, " has already exited"));
  if (kill(pid_, signal) != 0) {
    return absl::InternalError(absl::StrCat("kill(", pid_, ", ", signal, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!reaped_) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      exit_code_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      break;
    }
    if (done < 0) return absl::InternalError(absl::StrCat("waitpid(", pid_, "): ", strerror(errno)));
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(name_, " (pid ", pid_, ") still runs after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return exit_code_;
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  absl::StatusOr<int> waited = Wait(absl::ZeroDuration());
  return !waited.ok();
}

std::string ChildProcess::Stdout() const { return ReadFile(out_path_); }
std::string ChildProcess::Stderr() const { return ReadFile(err_path_); }

std::vector<nlohmann::json> ChildProcess::JsonLines() const {
  std::vector<nlohmann::json> lines;
  for (absl::string_view line : absl::StrSplit(Stdout(), '\n', absl::SkipWhitespace())) {
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) lines.push_back(std::move(parsed));
  }
  return lines;
}

// --- the test bed -----------------------------------------------------------------------

absl::StatusOr<pid_t> TestbedComponentPid(absl::string_view component) {
  const char* dir = getenv("WERF_TESTBED_DIR");
  if (dir == nullptr) return absl::FailedPreconditionError("WERF_TESTBED_DIR is not set");
  const std::string pid_file = absl::StrCat(dir, "/pids/", component, ".pid");
  const std::vector<std::string> record =
      absl::StrSplit(absl::StripAsciiWhitespace(ReadFile(pid_file)), ' ', absl::SkipEmpty());
  int pid = 0;
  if (record.size() != 2 || !absl::SimpleAtoi(record[0], &pid)) {
    return absl::NotFoundError(absl::StrCat(pid_file, " does not hold \"<pid> <start time>\""));
  }
  // /proc/<pid>/stat: field 22 (start time), counted after the ")" that ends field 2.
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return absl::NotFoundError(absl::StrCat(component, " (pid ", pid, ") is not running"));
  const std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ');
  if (fields.size() < 20 || fields[19] != record[1]) {
    return absl::NotFoundError(absl::StrCat(component, " (pid ", pid, ") is not the process recorded in ", pid_file));
  }
  return static_cast<pid_t>(pid);
}

absl::Status TestbedUp() {
  const char* script = getenv("WERF_TESTBED_SCRIPT");
  testbed::RunOptions options;
  options.timeout = absl::Seconds(300);
  ASSIGN_OR_RETURN(testbed::CommandResult result,
                   testbed::RunCommand({script != nullptr ? script : WERF_KUBE_TESTBED_SCRIPT, "up"}, options));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("testbed up exited with ", result.exit_code, ": ", result.err));
  }
  return absl::OkStatus();
}

bool TestbedWatchCacheEnabled(absl::string_view resource) {
  absl::StatusOr<pid_t> pid = TestbedComponentPid("kube-apiserver");
  if (!pid.ok()) {
    const char* env = getenv("WERF_TESTBED_WATCH_CACHE");
    return env == nullptr || absl::string_view(env) != "false";  // the test bed's default: on
  }
  const std::string cmdline = ReadFile(absl::StrCat("/proc/", *pid, "/cmdline"));
  bool enabled = true;  // kube-apiserver's own default
  std::vector<std::string> args = absl::StrSplit(cmdline, '\0');
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (absl::ConsumePrefix(&arg, "--watch-cache=")) enabled = arg == "true";
    // --watch-cache-sizes=resource[.group]#size,...: size 0 serves that resource from etcd.
    std::string sizes;
    if (arg == "--watch-cache-sizes" && i + 1 < args.size()) sizes = args[i + 1];
    if (absl::ConsumePrefix(&arg, "--watch-cache-sizes=")) sizes = std::string(arg);
    for (absl::string_view entry : absl::StrSplit(sizes, ',', absl::SkipEmpty())) {
      if (!resource.empty() && entry == absl::StrCat(resource, "#0")) return false;
    }
  }
  return enabled;
}

std::string TempDir() {
  static const std::string dir = [] {
    const char* base = getenv("TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/werf-kube-it-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) return std::string("/tmp");
    // Failing tests quote what they need from these files; nothing is kept.
    static std::string to_remove = pattern;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(to_remove, ignored);
    });
    return pattern;
  }();
  return dir;
}

int64_t ResourceVersionNumber(absl::string_view resource_version) {
  int64_t number = -1;
  return absl::SimpleAtoi(resource_version, &number) ? number : -1;
}

}  // namespace werf::kube_test
