#include "test/integration/e2e/operator_system.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::e2e {
namespace {

std::string BinaryFor(const std::string& kind) {
  if (kind == "controller") return WERF_CONTROLLER_BINARY;
  if (kind == "poller") return WERF_POLLER_BINARY;
  if (kind == "converger") return WERF_CONVERGER_BINARY;
  return WERF_GATEWAY_BINARY;
}

// The value of the first sample of `metric` whose labels contain `label`.
double MetricValue(const std::string& text, const std::string& metric, const std::string& label) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, metric) || line.find(label) == absl::string_view::npos) continue;
    double value = 0;
    const size_t space = line.rfind(' ');
    if (space != absl::string_view::npos && absl::SimpleAtod(line.substr(space + 1), &value)) {
      return value;
    }
  }
  return -1;
}

bool Ready(const ServiceProcess& process) {
  httplib::Client http("http://" + process.http_address());
  http.set_connection_timeout(1);
  http.set_read_timeout(2);
  auto response = http.Get("/readyz");
  return response && response->status == 200;
}

// Applies the RBAC of deploy/kustomize/base and writes, per service, a kubeconfig
// holding a token minted (TokenRequest) for that service's own ServiceAccount, so
// every process runs with exactly the rights the manifests give it.
absl::StatusOr<std::map<std::string, std::string>> ServiceKubeconfigs(const std::string& dir) {
  for (const char* file : {"namespace.yaml", "rbac-controller.yaml", "rbac-poller.yaml",
                           "rbac-converger.yaml", "rbac-gateway.yaml", "rbac-users.yaml"}) {
    absl::StatusOr<std::string> applied =
        testbed::Kubectl({"apply", "-f", absl::StrCat(WERF_DEPLOY_BASE_DIR, "/", file)});
    if (!applied.ok()) return applied.status();
  }
  const char* server = std::getenv("WERF_TESTBED_APISERVER");
  const char* ca = std::getenv("WERF_TESTBED_CA");
  if (server == nullptr || ca == nullptr) {
    return absl::FailedPreconditionError("the test bed exports no WERF_TESTBED_APISERVER/CA");
  }
  std::map<std::string, std::string> paths;
  for (const char* service : {"controller", "poller", "converger", "gateway"}) {
    absl::StatusOr<std::string> token = testbed::MintServiceAccountToken(
        "werf-operator-system", absl::StrCat("werf-", service), absl::Hours(2));
    if (!token.ok()) return token.status();
    const std::string path = absl::StrCat(dir, "/kubeconfig-", service);
    std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: sa\n"
                        << "clusters: [{name: testbed, cluster: {server: \"" << server
                        << "\", certificate-authority: \"" << ca << "\"}}]\n"
                        << "users: [{name: sa, user: {token: \"" << *token << "\"}}]\n"
                        << "contexts: [{name: sa, context: {cluster: testbed, user: sa}}]\n";
    paths[service] = path;
  }
  return paths;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OperatorSystem>> OperatorSystem::Start(SystemOptions options) {
  absl::StatusOr<const testbed::TestbedEnv*> testbed = testbed::EnsureTestbed();
  if (!testbed.ok()) return testbed.status();
  std::unique_ptr<OperatorSystem> system(new OperatorSystem());
  system->options_ = std::move(options);
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  system->log_dir_ = absl::StrCat(WERF_E2E_LOG_DIR, "/",
                                  info ? absl::StrCat(info->test_suite_name(), ".", info->name())
                                       : "system");
  std::filesystem::create_directories(system->log_dir_);
  absl::StatusOr<std::map<std::string, std::string>> kubeconfigs = ServiceKubeconfigs(system->log_dir_);
  if (!kubeconfigs.ok()) return kubeconfigs.status();
  system->kubeconfigs_ = std::move(*kubeconfigs);
  // A Lease per system, so a test never inherits another test's leader.
  system->lease_name_ = absl::StrCat("werf-controller-e2e-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  OperatorSystem* raw = system.get();
  absl::StatusOr<std::unique_ptr<LeaderProxy>> proxy = LeaderProxy::Start([raw]() -> std::string {
    ServiceProcess* leader = raw->Leader();
    return leader == nullptr ? "" : leader->grpc_address();
  });
  if (!proxy.ok()) return proxy.status();
  system->proxy_ = std::move(*proxy);
  for (int i = 0; i < system->options_.controllers; ++i) {
    if (absl::StatusOr<ServiceProcess*> c = system->AddController(); !c.ok()) return c.status();
  }
  if (absl::StatusOr<ServiceProcess*> leader = system->WaitForLeader(absl::Seconds(60)); !leader.ok()) {
    return leader.status();
  }
  for (int i = 0; i < system->options_.pollers; ++i) {
    if (absl::StatusOr<ServiceProcess*> p = system->AddPoller(); !p.ok()) return p.status();
  }
  for (int i = 0; i < system->options_.convergers; ++i) {
    if (absl::StatusOr<ServiceProcess*> c = system->AddConverger(); !c.ok()) return c.status();
  }
  if (system->options_.gateway) {
    absl::StatusOr<std::unique_ptr<ServiceProcess>> gateway = system->Launch("gateway", {});
    if (!gateway.ok()) return gateway.status();
    system->gateway_ = std::move(*gateway);
  }
  if (absl::Status workers = system->WaitForWorkers(system->options_.pollers,
                                                    system->options_.convergers, absl::Seconds(60));
      !workers.ok()) {
    return workers;
  }
  return system;
}

OperatorSystem::~OperatorSystem() {
  gateway_.reset();
  pollers_.clear();
  convergers_.clear();
  for (auto& controller : controllers_) controller->Terminate(absl::Seconds(15));
  controllers_.clear();
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> OperatorSystem::Launch(const std::string& kind,
                                                                       std::vector<std::string> flags) {
  std::vector<std::string> args = {absl::StrCat("--kubeconfig=", kubeconfigs_.at(kind)),
                                   "--drain_timeout=3s"};
  if (kind == "poller" || kind == "converger") {
    args.push_back(absl::StrCat("--controller_address=", hub_address()));
  }
  for (std::string& flag : flags) args.push_back(std::move(flag));
  return ServiceProcess::Start(absl::StrCat(kind, "-", ++launched_), BinaryFor(kind), std::move(args),
                               log_dir_);
}

absl::StatusOr<ServiceProcess*> OperatorSystem::AddController() {
  std::vector<std::string> flags = {
      "--leader_election_namespace=werf-operator-system",
      absl::StrCat("--leader_election_id=", lease_name_),
      // Short, same ratios as the defaults (15/10/2), so failover tests stay short.
      "--lease_duration=6s", "--renew_deadline=4s", "--retry_period=1s",
      "--failure_backoff_base=2s", "--failure_backoff_max=10s", "--recheck_interval=2s",
      // The tests poll every 2 s; production's floor is a minute.
      "--min_poll_interval=1s", "--min_drift_interval=1s",
      "--hub_heartbeat_interval=2s"};
  for (const std::string& flag : options_.controller_flags) flags.push_back(flag);
  absl::StatusOr<std::unique_ptr<ServiceProcess>> controller = Launch("controller", std::move(flags));
  if (!controller.ok()) return controller.status();
  controllers_.push_back(std::move(*controller));
  return controllers_.back().get();
}

absl::StatusOr<ServiceProcess*> OperatorSystem::AddPoller() {
  absl::StatusOr<std::unique_ptr<ServiceProcess>> poller = Launch("poller", options_.poller_flags);
  if (!poller.ok()) return poller.status();
  pollers_.push_back(std::move(*poller));
  return pollers_.back().get();
}

absl::StatusOr<ServiceProcess*> OperatorSystem::AddConverger() {
  absl::StatusOr<std::unique_ptr<ServiceProcess>> converger =
      Launch("converger", options_.converger_flags);
  if (!converger.ok()) return converger.status();
  convergers_.push_back(std::move(*converger));
  return convergers_.back().get();
}

ServiceProcess* OperatorSystem::Leader() {
  for (auto& controller : controllers_) {
    if (controller->Running() && Ready(*controller)) return controller.get();
  }
  return nullptr;
}

absl::StatusOr<ServiceProcess*> OperatorSystem::WaitForLeader(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (ServiceProcess* leader = Leader()) return leader;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::DeadlineExceededError("no controller became the ready leader");
}

absl::Status OperatorSystem::WaitForWorkers(int pollers, int convergers, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    if (ServiceProcess* leader = Leader()) {
      httplib::Client http("http://" + leader->http_address());
      if (auto metrics = http.Get("/metrics")) {
        last = metrics->body;
        if (MetricValue(last, "werf_operator_controller_hub_workers", "kind=\"poller\"") == pollers &&
            MetricValue(last, "werf_operator_controller_hub_workers", "kind=\"converger\"") ==
                convergers) {
          return absl::OkStatus();
        }
      }
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  return absl::DeadlineExceededError(absl::StrCat("the hub never had ", pollers, " pollers and ",
                                                  convergers, " convergers; logs in ", log_dir_));
}

}  // namespace werf::e2e
