// Starts each of the four real binaries as a process, as a user would: port 0 for
// both servers, the test bed's cluster, workers pointed at a running controller;
// then checks what DESIGN.md promises of every server (gRPC health and reflection,
// /healthz, /readyz, /metrics accepted by promtool) and that SIGTERM makes it exit
// 0. grpcurl and promtool must be on PATH (make test sets it).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/grpc_health_client.h"
#include "nlohmann/json.hpp"
#include "test/integration/testbed/testbed_support.h"

namespace {

using ::testing::HasSubstr;

struct Binary {
  const char* name;
  const char* path;
  const char* service;  // full gRPC service name it serves
  bool worker;          // takes --controller_address
};

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

// A child process whose stderr (JSON log lines) is read line by line.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    stderr_ = fdopen(fds[0], "r");
  }
  ~Process() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stderr_ != nullptr) fclose(stderr_);
  }

  // Next log line whose "msg" is `message`, or an empty object at EOF.
  nlohmann::json WaitForLog(const std::string& message) {
    char* line = nullptr;
    size_t capacity = 0;
    nlohmann::json found;
    while (getline(&line, &capacity, stderr_) > 0) {
      nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (record.is_object() && record.value("msg", "") == message) {
        found = std::move(record);
        break;
      }
    }
    free(line);
    return found;
  }

  // Exit code, or -1 if it did not exit within `timeout`.
  int Terminate(std::chrono::seconds timeout) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  FILE* stderr_ = nullptr;
};

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
    ASSERT_TRUE(werf::testbed::Kubectl({"apply", "--server-side", "--force-conflicts", "-f", WERF_CRD_PATH}).ok());
    std::vector<std::string> args = CommonArgs();
    args.insert(args.begin(), WERF_CONTROLLER_BINARY);
    args.push_back("--leader_election_namespace=default");
    args.push_back("--leader_election_id=werf-controller-smoke");
    hub_ = new Process(args);
    const nlohmann::json serving = hub_->WaitForLog("serving");
    ASSERT_TRUE(serving.is_object());
    hub_address_ = serving["grpc_address"];
  }
  static void TearDownTestSuite() {
    if (hub_ != nullptr) hub_->Terminate(std::chrono::seconds(10));
    delete hub_;
    hub_ = nullptr;
  }
  static Process* hub_;
  static std::string hub_address_;
};

Process* BinaryTest::hub_ = nullptr;
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
  Process process(argv);
  const nlohmann::json serving = process.WaitForLog("serving");
  ASSERT_TRUE(serving.is_object()) << binary.name << " never logged \"serving\"";
  EXPECT_EQ(serving["service"], binary.name);
  const std::string grpc_address = serving["grpc_address"];
  const std::string http_address = serving["http_address"];
  EXPECT_THAT(grpc_address, ::testing::Not(::testing::EndsWith(":0")));

  auto channel = grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(werf::common::CheckHealth(channel, binary.service, absl::Seconds(5)).value(),
            werf::common::HealthStatus::kServing);

  int code = 0;
  const std::string services = RunCommand("grpcurl -plaintext " + grpc_address + " list", &code);
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
      RunCommand("curl -sf http://" + http_address + "/metrics | promtool check metrics", &code);
  EXPECT_EQ(code, 0) << checked;

  EXPECT_EQ(process.Terminate(std::chrono::seconds(10)), 0);
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
