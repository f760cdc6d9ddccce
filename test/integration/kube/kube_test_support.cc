#include "test/integration/kube/kube_test_support.h"

#include <stdlib.h>

#include <atomic>
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
#include "test/integration/testbed/testbed_support.h"
#include "test/support/service_log.h"

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

absl::StatusOr<std::shared_ptr<kube::RestClient>> UnthrottledAdminClient() {
  kube::RestOptions options;
  options.qps = 0;  // no client-side limit
  options.timeout = absl::Seconds(60);
  return AdminClient(options);
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

// --- child processes --------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<ChildProcess>> StartChild(const std::vector<std::string>& argv,
                                                         absl::string_view name) {
  test_support::ChildProcessOptions options;
  options.name = std::string(name);
  options.stdout_to = test_support::ChildOutput::TempFile();
  options.stderr_to = test_support::ChildOutput::TempFile();
  return ChildProcess::Start(argv, std::move(options));
}

std::vector<nlohmann::json> StdoutJsonLines(const ChildProcess& process) {
  return test_support::JsonLines(process, ChildProcess::Stream::kStdout);
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

int64_t ResourceVersionNumber(absl::string_view resource_version) {
  int64_t number = -1;
  return absl::SimpleAtoi(resource_version, &number) ? number : -1;
}

}  // namespace werf::kube_test
