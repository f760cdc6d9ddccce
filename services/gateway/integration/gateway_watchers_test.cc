// Many watchers at once over real gRPC: 100 concurrent WatchBundles streams on the
// real binary all receive one status change, while another watcher that has stopped
// reading holds nobody up.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "services/gateway/integration/gateway_test_support.h"
#include "test/support/crd.h"
#include "werf/operator/v1/bundle_service.grpc.pb.h"

namespace werf::gateway::testing {
namespace {

namespace pb = ::werf::operator_::v1;

constexpr int kWatchers = 100;
constexpr int kChannels = 10;  // streams share connections as real clients' would

TEST(GatewayWatchersTest, AHundredWatchersAllReceiveAChange) {
  ASSERT_OK(test_support::InstallWerfBundleCrd());
  absl::StatusOr<std::unique_ptr<TestNamespace>> ns = TestNamespace::Create("gw-fanout");
  ASSERT_TRUE(ns.ok()) << ns.status();
  const std::string name = (*ns)->name();
  ASSERT_TRUE(ApplyBundle(name, "web").ok());
  absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
      GatewayProcess::Start({"--max_watches=200", "--watch_change_log_size=64"});
  ASSERT_TRUE(gateway.ok()) << gateway.status();

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < kChannels; ++i) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("grpc.channel_id", i);  // distinct connections, not one shared subchannel
    channels.push_back(grpc::CreateCustomChannel((*gateway)->grpc_address(),
                                                 grpc::InsecureChannelCredentials(), arguments));
  }

  // A watcher that reads its snapshot and then never again.
  grpc::ClientContext stalled_context;
  pb::WatchBundlesRequest request;
  request.set_namespace_(name);
  auto stalled = pb::BundleService::NewStub(channels[0])->WatchBundles(&stalled_context, request);
  pb::WatchBundlesResponse first;
  ASSERT_TRUE(stalled->Read(&first));

  std::atomic<int> synced{0};
  std::atomic<int> received{0};
  std::vector<grpc::ClientContext> contexts(kWatchers);
  std::vector<std::thread> watchers;
  const std::string tag = "2.0.0-fanout";
  for (int i = 0; i < kWatchers; ++i) {
    watchers.emplace_back([&, i] {
      auto stub = pb::BundleService::NewStub(channels[i % kChannels]);
      contexts[i].set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      auto stream = stub->WatchBundles(&contexts[i], request);
      pb::WatchBundlesResponse event;
      while (stream->Read(&event)) {
        if (event.type() == pb::WATCH_EVENT_TYPE_SYNCED) synced.fetch_add(1);
        if (event.type() == pb::WATCH_EVENT_TYPE_MODIFIED && event.bundle().latest_tag() == tag) {
          received.fetch_add(1);
          contexts[i].TryCancel();
        }
      }
    });
  }
  const absl::Status all_synced = testbed::WaitFor(
      "every watcher's SYNCED", [&]() -> absl::StatusOr<bool> { return synced.load() == kWatchers; },
      absl::Seconds(30), absl::Milliseconds(20));
  ASSERT_TRUE(all_synced.ok()) << all_synced << " (" << synced.load() << " synced)";

  const absl::Time changed_at = absl::Now();
  ASSERT_TRUE(PatchBundleStatus(name, "web", {{"phase", "Syncing"}, {"latestTag", tag}}).ok());
  const absl::Status delivered = testbed::WaitFor(
      "the change at every watcher", [&]() -> absl::StatusOr<bool> { return received.load() == kWatchers; },
      absl::Seconds(30), absl::Milliseconds(10));
  const absl::Duration fan_out = absl::Now() - changed_at;
  for (grpc::ClientContext& context : contexts) context.TryCancel();
  for (std::thread& watcher : watchers) watcher.join();
  EXPECT_TRUE(delivered.ok()) << delivered << " (" << received.load() << " of " << kWatchers << ")";
  std::printf("change reached %d watchers %s after the status patch was sent\n", received.load(),
              absl::FormatDuration(fan_out).c_str());

  stalled_context.TryCancel();
  EXPECT_EQ((*gateway)->Terminate(), 0);
}

}  // namespace
}  // namespace werf::gateway::testing
