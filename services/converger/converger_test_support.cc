#include "services/converger/converger_test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/common/status_macros.h"
#include "libs/kube/cluster_config.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::converger::testing {

using nlohmann::json;

absl::StatusOr<std::shared_ptr<kube::RestClient>> TestbedClient() {
  const char* kubeconfig = std::getenv("KUBECONFIG");
  if (kubeconfig == nullptr) return absl::FailedPreconditionError("KUBECONFIG is not set; is the test bed up?");
  ASSIGN_OR_RETURN(kube::ClusterConfig config, kube::LoadKubeconfig(kubeconfig));
  return kube::RestClient::Create(std::move(config));
}

absl::Status CreateNamespace(absl::string_view ns) {
  return testbed::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ", ns,
                                         "\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: "
                                         "werf-deploy\n  namespace: ",
                                         ns, "\n"));
}

void DeleteNamespace(absl::string_view ns) {
  (void)testbed::Kubectl({"delete", "namespace", std::string(ns), "--wait=false", "--ignore-not-found"});
}

absl::StatusOr<std::string> CreateBundle(absl::string_view ns, absl::string_view name) {
  if (!testbed::Kubectl({"get", "crd", "werfbundles.werf.io"}).ok()) {
    RETURN_IF_ERROR(testbed::Kubectl({"apply", "-f", WERF_CRD_PATH}).status());
    RETURN_IF_ERROR(
        testbed::Kubectl({"wait", "--for=condition=Established", "--timeout=60s", "crd/werfbundles.werf.io"}).status());
  }
  RETURN_IF_ERROR(testbed::ApplyYaml(absl::StrCat(
      "apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata:\n  name: ", name, "\n  namespace: ", ns,
      "\nspec:\n  registry:\n    url: registry.example.com/team/", name,
      "\n  converge:\n    serviceAccountName: werf-deploy\n")));
  return testbed::GetJsonPath({"werfbundle", std::string(name), std::string(ns)}, "{.metadata.uid}");
}

pb::ConvergeRequest ApplyRequest(absl::string_view bundle_namespace, absl::string_view bundle_name,
                                 absl::string_view target_namespace, absl::string_view tag) {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_(std::string(bundle_namespace));
  request.mutable_bundle()->set_name(std::string(bundle_name));
  // The converger starts Jobs only for bundles that exist, so the request names a real one.
  absl::StatusOr<std::string> uid = CreateBundle(bundle_namespace, bundle_name);
  request.mutable_bundle()->set_uid(uid.ok() ? *uid : testbed::UniqueName("uid"));
  request.set_kind(pb::JOB_KIND_APPLY);
  request.set_repository("registry.example.com/team/" + std::string(bundle_name));
  request.set_tag(std::string(tag));
  request.set_digest("sha256:" + std::string(64, 'a'));
  request.set_release(std::string(bundle_name));
  request.set_target_namespace(std::string(target_namespace));
  request.set_service_account_name("werf-deploy");
  request.mutable_timeout()->set_seconds(300);
  request.set_log_retention_days(7);
  request.set_config_hash(testbed::UniqueName("cfg"));
  request.set_generation(1);
  return request;
}

absl::StatusOr<json> GetObject(absl::string_view kind, absl::string_view ns, absl::string_view name) {
  ASSIGN_OR_RETURN(
      const std::string out,
      testbed::Kubectl({"get", std::string(kind), std::string(name), "-n", std::string(ns), "-o", "json"}));
  return json::parse(out);
}

absl::StatusOr<std::vector<json>> ListObjects(absl::string_view kind, absl::string_view ns,
                                              absl::string_view selector) {
  std::vector<std::string> args = {"get", std::string(kind), "-l", std::string(selector), "-o", "json"};
  if (ns.empty()) {
    args.push_back("--all-namespaces");
  } else {
    args.insert(args.end(), {"-n", std::string(ns)});
  }
  ASSIGN_OR_RETURN(const std::string out, testbed::Kubectl(args));
  return json::parse(out)["items"].get<std::vector<json>>();
}

absl::StatusOr<std::unique_ptr<ConvergerProcess>> ConvergerProcess::Start(const std::string& binary,
                                                                          const std::vector<std::string>& args) {
  std::unique_ptr<ConvergerProcess> process(new ConvergerProcess());
  char path[] = "/tmp/werf-converger-test-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return absl::InternalError("mkstemp failed");
  process->log_path_ = path;
  std::vector<std::string> argv = {binary, "--grpc_address=127.0.0.1:0", "--http_address=127.0.0.1:0",
                                   "--drain_timeout=2s"};
  argv.insert(argv.end(), args.begin(), args.end());
  process->pid_ = fork();
  if (process->pid_ < 0) return absl::InternalError("fork failed");
  if (process->pid_ == 0) {
    dup2(fd, STDERR_FILENO);
    std::vector<char*> raw;
    for (std::string& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  close(fd);
  return process;
}

ConvergerProcess::~ConvergerProcess() {
  if (pid_ > 0 && !reaped_) Kill();
  if (!log_path_.empty()) {
    if (std::getenv("WERF_KEEP_TEST_LOGS") == nullptr) unlink(log_path_.c_str());
  }
}

absl::StatusOr<json> ConvergerProcess::WaitForLog(absl::string_view message, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::ifstream file(log_path_);
    std::string line;
    while (std::getline(file, line)) {
      json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (record.is_object() && record.value("msg", "") == message) return record;
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::ifstream file(log_path_);
  std::stringstream all;
  all << file.rdbuf();
  return absl::DeadlineExceededError(
      absl::StrCat("werf-converger never logged \"", message, "\"; its log:\n", all.str()));
}

void ConvergerProcess::Kill() {
  if (pid_ <= 0 || reaped_) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  reaped_ = true;
}

int ConvergerProcess::Terminate(absl::Duration timeout) {
  if (pid_ <= 0 || reaped_) return -1;
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

}  // namespace werf::converger::testing
