// Server bootstrap, in process: free port, health SERVING, and a SIGTERM that
// drains an in-flight call before ServeUntilSignal returns OK (the binaries then
// exit 0; test/integration/smoke checks that on the real binaries).
#include "libs/common/service_runner.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/flags.h"
#include "libs/common/grpc_health_client.h"
#include "libs/common/logging.h"
#include "werf/operator/v1/poller_service.grpc.pb.h"

namespace werf::common {
namespace {

namespace pb = ::werf::operator_::v1;

// Block SIGTERM before any thread exists, so only sigwait in the server sees it.
const bool kSignalsBlocked = [] {
  BlockTerminationSignals();
  return true;
}();

// A service whose one call takes a while, to be caught in flight by SIGTERM.
class SlowPoller final : public pb::PollerService::Service {
 public:
  grpc::Status ListAssignments(grpc::ServerContext*, const pb::ListAssignmentsRequest*,
                               pb::ListAssignmentsResponse* response) override {
    entered.Notify();
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    response->set_connected(true);
    return grpc::Status::OK;
  }
  absl::Notification entered;
};

class ServiceRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_grpc_address, "127.0.0.1:0");
    absl::SetFlag(&FLAGS_http_address, "127.0.0.1:0");
    absl::SetFlag(&FLAGS_drain_timeout, absl::Seconds(5));
    SetLogSink([this](absl::string_view line) {
      const nlohmann::json record = nlohmann::json::parse(line);
      if (record["msg"] == "serving") {
        grpc_address_ = record["grpc_address"];
        http_address_ = record["http_address"];
        serving_.Notify();
      }
    });
  }
  void TearDown() override { ResetLogSink(); }

  absl::FlagSaver saver_;
  absl::Notification serving_;
  std::string grpc_address_;
  std::string http_address_;
};

TEST_F(ServiceRunnerTest, ServesHealthThenDrainsInFlightCallOnSigterm) {
  ASSERT_TRUE(kSignalsBlocked);
  SlowPoller slow;
  std::future<absl::Status> served = std::async(std::launch::async, [&] {
    return ServeUntilSignal({.name = "test",
                             .grpc_services = {&slow},
                             .health_service_names = {"werf.operator.v1.PollerService"}});
  });
  ASSERT_TRUE(serving_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_THAT(grpc_address_, ::testing::Not(::testing::EndsWith(":0")));
  EXPECT_THAT(http_address_, ::testing::Not(::testing::EndsWith(":0")));

  auto channel = grpc::CreateChannel(grpc_address_, grpc::InsecureChannelCredentials());
  EXPECT_EQ(CheckHealth(channel, "werf.operator.v1.PollerService", absl::Seconds(5)).value(),
            HealthStatus::kServing);
  EXPECT_EQ(CheckHealth(channel, "", absl::Seconds(5)).value(), HealthStatus::kServing);
  EXPECT_EQ(CheckHealth(channel, "no.such.Service", absl::Seconds(5)).status().code(),
            absl::StatusCode::kNotFound);

  httplib::Client http("http://" + http_address_);
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  // Start the slow call, SIGTERM while it runs: it must still complete OK.
  auto stub = pb::PollerService::NewStub(channel);
  std::future<grpc::Status> in_flight = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    pb::ListAssignmentsResponse response;
    grpc::Status status = stub->ListAssignments(&context, {}, &response);
    EXPECT_TRUE(response.connected());
    return status;
  });
  ASSERT_TRUE(slow.entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);

  const grpc::Status call_status = in_flight.get();
  EXPECT_TRUE(call_status.ok()) << call_status.error_message();
  ASSERT_EQ(served.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(served.get().ok());

  // Drained and gone: new calls fail.
  grpc::ClientContext after_context;
  after_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  pb::ListAssignmentsResponse after;
  EXPECT_FALSE(stub->ListAssignments(&after_context, {}, &after).ok());
}

TEST_F(ServiceRunnerTest, AddressInUseIsAClearError) {
  httplib::Server squatter;
  const int port = squatter.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  absl::SetFlag(&FLAGS_http_address, "127.0.0.1:" + std::to_string(port));
  SlowPoller slow;
  const absl::Status status =
      ServeUntilSignal({.name = "test", .grpc_services = {&slow}, .wait_for_shutdown = [] {}});
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), ::testing::HasSubstr("--http_address"));
}

TEST(ServiceExitCodeTest, FlagErrorsAreTwoRunErrorsOneAndRunIsSkippedOnBadFlags) {
  bool ran = false;
  const auto run_ok = [&] {
    ran = true;
    return absl::OkStatus();
  };
  EXPECT_EQ(ServiceExitCode("poller", absl::InvalidArgumentError("--x must be positive"), run_ok), 2);
  EXPECT_FALSE(ran);
  EXPECT_EQ(ServiceExitCode("poller", absl::OkStatus(), run_ok), 0);
  EXPECT_TRUE(ran);
  EXPECT_EQ(ServiceExitCode("poller", absl::OkStatus(), [] { return absl::UnavailableError("no cluster"); }), 1);
}

}  // namespace
}  // namespace werf::common
