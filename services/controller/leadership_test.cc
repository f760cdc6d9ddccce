#include "services/controller/leadership.h"

#include "gtest/gtest.h"

namespace werf::controller {
namespace {

TEST(LeadershipTest, WithoutElectionLeadsAtStartAndStopsOnStop) {
  int started = 0;
  int lost = 0;
  Leadership leadership({.on_started_leading = [&] { ++started; }, .on_lost = [&] { ++lost; }});
  EXPECT_FALSE(leadership.leading());
  ASSERT_TRUE(leadership.Start().ok());
  EXPECT_TRUE(leadership.leading());
  EXPECT_EQ(started, 1);
  leadership.BeginShutdown();
  leadership.Stop();
  EXPECT_FALSE(leadership.leading());
  EXPECT_EQ(lost, 0);
}

TEST(LeadershipTest, NothingStartsLeadingOnceShutdownBegan) {
  int started = 0;
  Leadership leadership({.on_started_leading = [&] { ++started; }});
  leadership.BeginShutdown();
  ASSERT_TRUE(leadership.Start().ok());
  EXPECT_FALSE(leadership.leading());
  EXPECT_EQ(started, 0);
}

TEST(LeadershipTest, ElectionTimingsThatCannotWorkAreRefusedAtStart) {
  // A client is needed only to build the elector; Start refuses before any request.
  absl::StatusOr<std::shared_ptr<kube::RestClient>> client =
      kube::RestClient::Create(kube::ClusterConfig{.server = "https://127.0.0.1:1"}, kube::RestOptions{});
  ASSERT_TRUE(client.ok()) << client.status();
  Leadership leadership({.client = *client,
                         .election = {.lease_namespace = "ns",
                                      .lease_name = "werf-controller",
                                      .identity = "me",
                                      .lease_duration = absl::Seconds(5),
                                      .renew_deadline = absl::Seconds(10)}});
  EXPECT_EQ(leadership.Start().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(leadership.leading());
}

}  // namespace
}  // namespace werf::controller
