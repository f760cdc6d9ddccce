#include "services/gateway/integration/gateway_test_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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
#include "test/support/service_log.h"

namespace werf::gateway::testing {
namespace {

constexpr char kGatewayBinary[] = WERF_GATEWAY_BINARY;

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

  test_support::ChildProcessOptions options;
  options.name = "werf-gateway";
  options.stderr_to = test_support::ChildOutput::Capture();
  options.stop_grace = absl::Seconds(15);
  options.poll_interval = absl::Milliseconds(10);
  if (std::getenv("WERF_GATEWAY_TEST_LOGS") != nullptr) options.echo_prefix = "gateway: ";
  absl::StatusOr<std::unique_ptr<test_support::ChildProcess>> child =
      test_support::ChildProcess::Start(std::move(argv), std::move(options));
  if (!child.ok()) return child.status();
  std::unique_ptr<GatewayProcess> process(new GatewayProcess(*std::move(child)));
  absl::StatusOr<test_support::ServingLine> serving =
      test_support::WaitForServing(*process->process_, absl::Seconds(30));
  if (!serving.ok()) return serving.status();
  process->grpc_address_ = serving->grpc_address;
  process->http_address_ = serving->http_address;
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

absl::StatusOr<int64_t> GatewayProcess::MemoryBytes(absl::string_view field) const {
  std::ifstream status(absl::StrCat("/proc/", pid(), "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, field) || !absl::ConsumePrefix(&rest, ":")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    int64_t kib = 0;
    if (absl::ConsumeSuffix(&rest, " kB") && absl::SimpleAtoi(rest, &kib)) return kib * 1024;
  }
  return absl::NotFoundError(absl::StrCat("no ", field, " in /proc/", pid(), "/status"));
}

absl::StatusOr<absl::Duration> GatewayProcess::CpuTime() const {
  std::ifstream file(absl::StrCat("/proc/", pid(), "/stat"));
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
    return absl::InternalError(absl::StrCat("unexpected /proc/", pid(), "/stat: ", stat));
  }
  return absl::Seconds(static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

// --- Kubernetes -----------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<TestNamespace>> TestNamespace::Create(absl::string_view prefix) {
  auto ns = std::make_unique<test_support::ScopedNamespace>(prefix);
  if (!ns->ok()) return ns->status();
  return std::unique_ptr<TestNamespace>(new TestNamespace(std::move(ns)));
}

TestNamespace::~TestNamespace() {
  // A controller running in the test bed at the same time (another test's) may have put
  // finalizers on the bundles and be gone by now; they would hold the namespace forever.
  absl::StatusOr<std::string> bundles = testbed::Kubectl(
      {"get", "werfbundles.werf.io", "-n", name(), "-o",
       R"(jsonpath={range .items[?(@.metadata.finalizers)]}{.metadata.name}{"\n"}{end})"});
  if (bundles.ok()) {
    for (absl::string_view bundle : absl::StrSplit(*bundles, '\n', absl::SkipWhitespace())) {
      (void)testbed::Kubectl({"patch", "werfbundles.werf.io", std::string(bundle), "-n", name(),
                              "--type=merge", "-p", R"({"metadata":{"finalizers":null}})"});
    }
  }
  // namespace_ deletes the namespace (without waiting) once this returns.
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
