// Starts each of the four real binaries as a process, as a user would: port 0 for
// both servers, the test bed's cluster, workers pointed at a running controller;
// then checks what DESIGN.md promises of every server (gRPC health and reflection,
// /healthz, /readyz, /metrics accepted by promtool) and that SIGTERM makes it exit
// 0. grpcurl and promtool must be on PATH (make test sets it).

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/grpc_health_client.h"
#include "nlohmann/json.hpp"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/child_process.h"
#include "test/support/crd.h"
#include "test/support/run_command.h"
#include "test/support/service_log.h"

namespace {

using ::testing::HasSubstr;

struct Binary {
  const char* name;
  const char* path;
  const char* service;  // full gRPC service name it serves
  bool worker;          // takes --controller_address
};

using ::werf::test_support::ChildProcess;

// `sh -c "<command> 2>&1"`: what it printed, and its exit code in *exit_code (-1 when it
// could not run).
std::string RunShell(const std::string& command, int* exit_code) {
  werf::test_support::RunOptions options;
  options.timeout = absl::InfiniteDuration();
  absl::StatusOr<werf::test_support::CommandResult> result =
      werf::test_support::RunCommand({"/bin/sh", "-c", command + " 2>&1"}, options);
  if (!result.ok()) {
    *exit_code = -1;
    return result.status().ToString();
  }
  *exit_code = result->exit_code;
  return result->out;
}

// A service whose stderr (JSON log lines) is captured; SIGKILLed when destroyed.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartService(std::vector<std::string> argv) {
  werf::test_support::ChildProcessOptions options;
  options.stderr_to = werf::test_support::ChildOutput::Capture();
  return ChildProcess::Start(std::move(argv), std::move(options));
}

std::vector<std::string> CommonArgs() {
  return {"--grpc_address=127.0.0.1:0", "--http_address=127.0.0.1:0", "--drain_timeout=3s",
          std::string("--kubeconfig=") + std::getenv("KUBECONFIG")};
}

// The /readyz status once it is `expected`, or the last one seen after `seconds`
// (readiness takes informer syncs and the hub connection).
int WaitReady(const std::string& http_address, int seconds, int expected) {
  httplib::Client http("http://" + http_address);
  int status = 0;
  for (int i = 0; i < seconds * 10; ++i) {
    if (auto response = http.Get("/readyz")) {
      status = response->status;
      if (status == expected) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

// A controller for the workers to dial, shared by the test suite.
class BinaryTest : public ::testing::TestWithParam<Binary> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(werf::testbed::EnsureTestbed().ok());
    const absl::Status crd = werf::test_support::InstallWerfBundleCrd();
    ASSERT_TRUE(crd.ok()) << crd;
    std::vector<std::string> args = CommonArgs();
    args.insert(args.begin(), WERF_CONTROLLER_BINARY);
    args.push_back("--leader_election_namespace=default");
    args.push_back("--leader_election_id=werf-controller-smoke");
    absl::StatusOr<std::unique_ptr<ChildProcess>> hub = StartService(args);
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = hub->release();
    const absl::StatusOr<werf::test_support::ServingLine> serving =
        werf::test_support::WaitForServing(*hub_, absl::InfiniteDuration());
    ASSERT_TRUE(serving.ok()) << serving.status();
    hub_address_ = serving->grpc_address;
  }
  static void TearDownTestSuite() {
    if (hub_ != nullptr) hub_->Terminate(absl::Seconds(10));
    delete hub_;
    hub_ = nullptr;
  }
  static ChildProcess* hub_;
  static std::string hub_address_;
};

ChildProcess* BinaryTest::hub_ = nullptr;
std::string BinaryTest::hub_address_;

TEST_P(BinaryTest, ServesEverythingItPromisesAndExitsZeroOnSigterm) {
  const Binary& binary = GetParam();
  std::vector<std::string> argv = CommonArgs();
  argv.insert(argv.begin(), binary.path);
  if (binary.worker) argv.push_back("--controller_address=" + hub_address_);
  if (std::string(binary.name) == "controller") {
    // A second controller: a standby of the suite's one, so only liveness is asked of it.
    argv.push_back("--leader_election_namespace=default");
    argv.push_back("--leader_election_id=werf-controller-smoke");
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> started = StartService(argv);
  ASSERT_TRUE(started.ok()) << started.status();
  ChildProcess& process = **started;
  const absl::StatusOr<werf::test_support::ServingLine> serving =
      werf::test_support::WaitForServing(process, absl::InfiniteDuration());
  ASSERT_TRUE(serving.ok()) << binary.name << " never logged \"serving\": " << serving.status();
  EXPECT_EQ(serving->record["service"], binary.name);
  const std::string grpc_address = serving->grpc_address;
  const std::string http_address = serving->http_address;
  EXPECT_THAT(grpc_address, ::testing::Not(::testing::EndsWith(":0")));

  auto channel = grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(werf::common::CheckHealth(channel, binary.service, absl::Seconds(5)).value(),
            werf::common::HealthStatus::kServing);

  int code = 0;
  const std::string services = RunShell("grpcurl -plaintext " + grpc_address + " list", &code);
  EXPECT_EQ(code, 0) << services;
  EXPECT_THAT(services, HasSubstr(binary.service));
  EXPECT_THAT(services, HasSubstr("grpc.health.v1.Health"));

  httplib::Client http("http://" + http_address);
  auto healthz = http.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200) << healthz->body;
  // A standby controller is alive but deliberately not ready (the Service routes to the leader).
  const int expected = std::string(binary.name) == "controller" ? 503 : 200;
  EXPECT_EQ(WaitReady(http_address, 30, expected), expected);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("werf_operator_build_info{"));
  EXPECT_THAT(metrics->body, HasSubstr("werf_operator_grpc_server_handled_total{"));
  const std::string checked =
      RunShell("curl -sf http://" + http_address + "/metrics | promtool check metrics", &code);
  EXPECT_EQ(code, 0) << checked;

  EXPECT_EQ(process.Terminate(absl::Seconds(10)), 0);
}

INSTANTIATE_TEST_SUITE_P(
    AllServices, BinaryTest,
    ::testing::Values(
        Binary{"controller", WERF_CONTROLLER_BINARY, "werf.operator.v1.HubService", false},
        Binary{"poller", WERF_POLLER_BINARY, "werf.operator.v1.PollerService", true},
        Binary{"converger", WERF_CONVERGER_BINARY, "werf.operator.v1.ConvergerService", true},
        Binary{"gateway", WERF_GATEWAY_BINARY, "werf.operator.v1.BundleService", false}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
