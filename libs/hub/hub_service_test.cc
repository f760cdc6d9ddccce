// The hub over real gRPC streams in process: the workers are FakeHubWorkers
// (testing/fake_hub_worker.h), each a plain gRPC stream.
#include "libs/hub/hub_service.h"

#include <memory>
#include <optional>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/common/grpc_server.h"
#include "libs/common/testing/fake_clock.h"
#include "libs/common/testing/status_testing.h"
#include "libs/hub/testing/fake_hub_worker.h"

namespace werf::hub {
namespace {

using ::werf::hub::testing::FakeHubWorker;

constexpr absl::Duration kWait = absl::Seconds(10);

// A worker that sends the hello and then only what its test gives it (no heartbeat
// answers), so what the hub handles is exactly what each test sends. Every test here
// ends well inside the hub's three-interval silence cut-off (3 s at its 1 s interval).
FakeHubWorker::Options Worker(const std::string& id, pb::WorkerKind kind) {
  return {.worker_id = id, .kind = kind, .answer_heartbeats = false};
}

class HubServiceTest : public ::testing::Test {
 protected:
  // The hub's options and clock: the wall clock here, a fake one in HubServiceOnAFakeClockTest.
  virtual HubServiceImpl::Options HubOptions() const {
    return {.controller_id = "test", .heartbeat_interval = absl::Seconds(1), .ack_timeout = absl::Seconds(30)};
  }
  virtual common::Clock& HubClock() { return common::RealClock(); }

  void SetUp() override {
    hub_ = std::make_unique<HubServiceImpl>(
        HubOptions(),
        HubCallbacks{.on_repository = [this](const pb::RepositoryObservation& o) {
                       absl::MutexLock lock(&mu_);
                       observations_.push_back(o);
                     }},
        HubClock());
    hub_->SetServing(true);
    auto server = common::GrpcServer::Start({.address = "127.0.0.1:0", .services = {hub_.get()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override { server_->Shutdown(absl::Now() + absl::Seconds(1)); }

  std::string address() const { return server_->address().ToString(); }
  bool WaitForWorkers(pb::WorkerKind kind, int count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (hub_->ConnectedWorkers(kind) == count) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // Before hub_, so it outlives the hub's ticker.
  common::testing::FakeClock fake_clock_;
  std::unique_ptr<HubServiceImpl> hub_;
  std::unique_ptr<common::GrpcServer> server_;
  absl::Mutex mu_;
  std::vector<pb::RepositoryObservation> observations_;
};

std::map<std::string, pb::TrackRepository> Repositories(int count) {
  std::map<std::string, pb::TrackRepository> repositories;
  for (int i = 0; i < count; ++i) {
    pb::TrackRepository track;
    track.set_key(absl::StrCat("registry.example.com/app-", i));
    track.set_repository(track.key());
    repositories[track.key()] = track;
  }
  return repositories;
}

TEST_F(HubServiceTest, EachRepositoryGoesToExactlyOnePollerAndMovesWhenItLeaves) {
  FakeHubWorker a(address(), Worker("poller-a", pb::WORKER_KIND_POLLER));
  FakeHubWorker b(address(), Worker("poller-b", pb::WORKER_KIND_POLLER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_POLLER, 2));
  hub_->SetRepositories(Repositories(40));
  ASSERT_OK(a.WaitForCount(pb::ConnectResponse::kTrack, 1, kWait));
  absl::SleepFor(absl::Milliseconds(300));
  const size_t on_a = a.Received(pb::ConnectResponse::kTrack).size();
  const size_t on_b = b.Received(pb::ConnectResponse::kTrack).size();
  EXPECT_EQ(on_a + on_b, 40u);
  EXPECT_GT(on_a, 5u);
  EXPECT_GT(on_b, 5u);
  for (const auto& [key, track] : Repositories(40)) {
    EXPECT_THAT(hub_->OwnerOf(key), ::testing::AnyOf("poller-a", "poller-b"));
  }
  // Only the owner's observations count.
  pb::ConnectRequest report;
  report.mutable_repository()->set_key(a.Received(pb::ConnectResponse::kTrack)[0].track().key());
  report.mutable_repository()->mutable_poll_recovered();
  b.Send(report);
  a.Send(report);
  absl::SleepFor(absl::Milliseconds(300));
  {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(observations_.size(), 1u);
  }
  b.Close();
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_POLLER, 1));
  const absl::Status all_on_a = a.WaitForCount(pb::ConnectResponse::kTrack, 40, kWait);
  ASSERT_TRUE(all_on_a.ok()) << "a takes b's share: " << all_on_a;
  EXPECT_EQ(a.Received(pb::ConnectResponse::kTrack).size(), 40u) << "and nothing of its own moves";
}

// An update names only the keys that changed; nothing else is sent, nothing else moves.
TEST_F(HubServiceTest, UpdateRepositoriesTouchesOnlyTheKeysItNames) {
  FakeHubWorker a(address(), Worker("poller-a", pb::WORKER_KIND_POLLER));
  FakeHubWorker b(address(), Worker("poller-b", pb::WORKER_KIND_POLLER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_POLLER, 2));
  std::map<std::string, std::optional<pb::TrackRepository>> initial;
  for (auto& [key, track] : Repositories(40)) initial.emplace(key, track);
  hub_->UpdateRepositories(initial);
  auto messages = [&](pb::ConnectResponse::MessageCase kind) {
    return a.Received(kind).size() + b.Received(kind).size();
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (messages(pb::ConnectResponse::kTrack) < 40 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_EQ(messages(pb::ConnectResponse::kTrack), 40u);
  std::map<std::string, std::string> owners;
  for (const auto& [key, track] : initial) owners[key] = hub_->OwnerOf(key);

  pb::TrackRepository added;
  added.set_key("registry.example.com/new");
  added.set_repository(added.key());
  pb::TrackRepository changed = *initial.begin()->second;
  changed.add_watched_tags("latest");
  const std::string removed = std::prev(initial.end())->first;
  hub_->UpdateRepositories({{added.key(), added}, {changed.key(), changed}, {removed, std::nullopt}});
  // Unchanged settings are no change.
  hub_->UpdateRepositories({{std::next(initial.begin())->first, std::next(initial.begin())->second}});
  absl::SleepFor(absl::Milliseconds(300));

  EXPECT_EQ(messages(pb::ConnectResponse::kTrack), 42u) << "the new key and the changed one, once each";
  EXPECT_EQ(messages(pb::ConnectResponse::kUntrack), 1u) << "the removed key only";
  EXPECT_THAT(hub_->OwnerOf(added.key()), ::testing::AnyOf("poller-a", "poller-b"));
  EXPECT_EQ(hub_->OwnerOf(removed), "");
  FakeHubWorker& owner_of_changed = owners[changed.key()] == "poller-a" ? a : b;
  std::vector<pb::TrackRepository> updates;
  for (const pb::ConnectResponse& m : owner_of_changed.Received(pb::ConnectResponse::kTrack)) {
    if (m.track().key() == changed.key()) updates.push_back(m.track());
  }
  ASSERT_EQ(updates.size(), 2u) << "the assignment, then the update, both to the key's owner";
  EXPECT_THAT(updates.back().watched_tags(), ::testing::ElementsAre("latest"));
  for (const auto& [key, owner] : owners) {
    if (key == removed) continue;
    EXPECT_EQ(hub_->OwnerOf(key), owner) << key << " must not move";
  }
}

pb::ConnectRequest Throttle(const std::string& registry, absl::Time until) {
  pb::ConnectRequest message;
  message.mutable_throttle()->set_registry(registry);
  *message.mutable_throttle()->mutable_not_before() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(until));
  message.mutable_throttle()->set_reason("HTTP 429, Retry-After: 600");
  return message;
}

absl::Time NotBefore(const pb::ConnectResponse& message) {
  return absl::FromUnixMillis(
      google::protobuf::util::TimeUtil::TimestampToMilliseconds(message.throttle().not_before()));
}

TEST_F(HubServiceTest, ARegistryPauseOnePollerLearnsReachesEveryPoller) {
  FakeHubWorker a(address(), Worker("poller-a", pb::WORKER_KIND_POLLER));
  FakeHubWorker b(address(), Worker("poller-b", pb::WORKER_KIND_POLLER));
  FakeHubWorker converger(address(), Worker("converger", pb::WORKER_KIND_CONVERGER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_POLLER, 2));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_CONVERGER, 1));
  const absl::Time until = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 600);
  a.Send(Throttle("registry.example.com", until));
  ASSERT_OK(b.WaitForCount(pb::ConnectResponse::kThrottle, 1, kWait));
  std::vector<pb::ConnectResponse> on_b = b.Received(pb::ConnectResponse::kThrottle);
  EXPECT_EQ(on_b[0].throttle().registry(), "registry.example.com");
  EXPECT_EQ(NotBefore(on_b[0]), until);

  // An echo or an earlier end is no news; a later one is.
  b.Send(Throttle("registry.example.com", until));
  b.Send(Throttle("registry.example.com", until - absl::Seconds(30)));
  a.Send(Throttle("registry.example.com", until + absl::Seconds(60)));
  ASSERT_OK(b.WaitForCount(pb::ConnectResponse::kThrottle, 2, kWait));
  // A poller joining during the pause gets it before any assignment.
  FakeHubWorker c(address(), Worker("poller-c", pb::WORKER_KIND_POLLER));
  ASSERT_OK(c.WaitForCount(pb::ConnectResponse::kThrottle, 1, kWait));
  EXPECT_EQ(NotBefore(c.Received(pb::ConnectResponse::kThrottle)[0]), until + absl::Seconds(60));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(b.Received(pb::ConnectResponse::kThrottle).size(), 2u);
  EXPECT_EQ(a.Received(pb::ConnectResponse::kThrottle).size(), 0u) << "the reporter knows";
  EXPECT_TRUE(converger.Received(pb::ConnectResponse::kThrottle).empty()) << "pollers only";

  // A pause is bounded, and one already over is dropped.
  a.Send(Throttle("other.example.com", absl::Now() + absl::Hours(1000)));
  a.Send(Throttle("past.example.com", absl::Now() - absl::Seconds(1)));
  ASSERT_OK(b.WaitForCount(pb::ConnectResponse::kThrottle, 3, kWait));
  absl::SleepFor(absl::Milliseconds(300));
  on_b = b.Received(pb::ConnectResponse::kThrottle);
  ASSERT_EQ(on_b.size(), 3u);
  EXPECT_EQ(on_b[2].throttle().registry(), "other.example.com");
  EXPECT_LE(NotBefore(on_b[2]), absl::Now() + kMaxRegistryPause);
}

TEST_F(HubServiceTest, UnacknowledgedConvergeIsResentToAnotherConvergerWhenItsStreamEnds) {
  auto first = std::make_unique<FakeHubWorker>(address(), Worker("converger-1", pb::WORKER_KIND_CONVERGER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_CONVERGER, 1));
  pb::ConvergeRequest request;
  request.set_job_name("web-a-0123456789");
  hub_->SubmitConverge(request);
  hub_->SubmitConverge(request);  // idempotent by Job name
  ASSERT_OK(first->WaitForCount(pb::ConnectResponse::kConverge, 1, kWait));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(first->Received(pb::ConnectResponse::kConverge).size(), 1u);
  FakeHubWorker second(address(), Worker("converger-2", pb::WORKER_KIND_CONVERGER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_CONVERGER, 2));
  first->Close();
  ASSERT_OK(second.WaitForCount(pb::ConnectResponse::kConverge, 1, kWait));
  EXPECT_EQ(second.Received(pb::ConnectResponse::kConverge)[0].converge().job_name(), "web-a-0123456789");
  // Once the Job is observed the hub forgets it: a new converger gets nothing.
  hub_->ForgetConverge("web-a-0123456789");
  FakeHubWorker third(address(), Worker("converger-3", pb::WORKER_KIND_CONVERGER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_CONVERGER, 2));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(third.Received(pb::ConnectResponse::kConverge).empty());
}

TEST_F(HubServiceTest, NewStreamThatOvertakesItsOldOneGetsEveryAssignmentAgain) {
  // A poller whose connection broke reconnects with the same worker id before the
  // hub noticed the old stream end. The new stream starts with no assignments (a
  // worker drops its work on a new stream), so the hub must send them all again.
  auto old_stream = std::make_unique<FakeHubWorker>(address(), Worker("poller-a", pb::WORKER_KIND_POLLER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_POLLER, 1));
  hub_->SetRepositories(Repositories(5));
  ASSERT_OK(old_stream->WaitForCount(pb::ConnectResponse::kTrack, 5, kWait));
  FakeHubWorker new_stream(address(), Worker("poller-a", pb::WORKER_KIND_POLLER));
  ASSERT_TRUE(new_stream.WaitForCount(pb::ConnectResponse::kTrack, 5, kWait).ok())
      << "the overtaking stream got " << new_stream.Received(pb::ConnectResponse::kTrack).size()
      << " of 5 assignments";
  old_stream->Close();  // the old stream's end must not take the work away again
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(hub_->ConnectedWorkers(pb::WORKER_KIND_POLLER), 1);
  for (const auto& [key, track] : Repositories(5)) EXPECT_EQ(hub_->OwnerOf(key), "poller-a");
  EXPECT_TRUE(new_stream.Received(pb::ConnectResponse::kUntrack).empty());
}

TEST_F(HubServiceTest, ForgettingABundleDropsItsPendingConverges) {
  pb::ConvergeRequest request;
  request.set_job_name("web-a-0123456789");
  request.mutable_bundle()->set_uid("uid-1");
  hub_->SubmitConverge(request);  // no converger yet: pending
  hub_->ForgetConvergesOfBundle("uid-1");
  FakeHubWorker converger(address(), Worker("converger-1", pb::WORKER_KIND_CONVERGER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_CONVERGER, 1));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(converger.Received(pb::ConnectResponse::kConverge).empty());
}

TEST_F(HubServiceTest, StandbyRefusesStreamsAndFirstMessageMustBeHello) {
  hub_->SetServing(false);
  FakeHubWorker refused(address(), Worker("poller-x", pb::WORKER_KIND_POLLER));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(hub_->ConnectedWorkers(pb::WORKER_KIND_POLLER), 0);
  EXPECT_TRUE(refused.Received(pb::ConnectResponse::kWelcome).empty());
}

// The hub reading a FakeClock: time moves only when the test says, while the hub's
// ticker still runs each real second, so every step below waits a tick or two of
// real time for the hub to act on the time it reads.
class HubServiceOnAFakeClockTest : public HubServiceTest {
 protected:
  // Long enough that nothing here is cut off for silence unless the test means it.
  HubServiceImpl::Options HubOptions() const override {
    return {.controller_id = "test", .heartbeat_interval = absl::Minutes(1), .ack_timeout = absl::Seconds(30)};
  }
  common::Clock& HubClock() override { return fake_clock_; }

  // Two real ticks of the hub's ticker: whatever the hub does at the current fake
  // time has been done.
  static void LetTheHubTick() { absl::SleepFor(absl::Milliseconds(2200)); }
};

TEST_F(HubServiceOnAFakeClockTest, ConvergeIsResentOnlyWhileUnacknowledgedPastTheAckTimeout) {
  FakeHubWorker converger(address(), Worker("converger-1", pb::WORKER_KIND_CONVERGER));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_CONVERGER, 1));
  pb::ConvergeRequest request;
  request.set_job_name("web-a-0123456789");
  request.mutable_bundle()->set_uid("uid-1");
  hub_->SubmitConverge(request);
  ASSERT_OK(converger.WaitForCount(pb::ConnectResponse::kConverge, 1, kWait));

  fake_clock_.Advance(absl::Seconds(29));
  LetTheHubTick();
  EXPECT_EQ(converger.Received(pb::ConnectResponse::kConverge).size(), 1u)
      << "resent before the 30 s acknowledgement timeout";

  fake_clock_.Advance(absl::Seconds(2));
  ASSERT_OK(converger.WaitForCount(pb::ConnectResponse::kConverge, 2, kWait));
  const pb::ConnectResponse resent = converger.Received(pb::ConnectResponse::kConverge)[1];
  EXPECT_EQ(resent.converge().job_name(), "web-a-0123456789");

  pb::ConnectRequest ack;
  ack.mutable_ack()->set_sequence(resent.sequence());
  ack.mutable_ack()->set_accepted(true);
  ASSERT_TRUE(converger.Send(ack));
  absl::SleepFor(absl::Milliseconds(300));  // the hub reads the ack
  fake_clock_.Advance(absl::Minutes(2));
  LetTheHubTick();
  EXPECT_EQ(converger.Received(pb::ConnectResponse::kConverge).size(), 2u)
      << "an acknowledged converge was sent again";
}

TEST_F(HubServiceOnAFakeClockTest, AWorkerSilentForThreeHeartbeatIntervalsIsCutOff) {
  FakeHubWorker silent(address(), Worker("poller-silent", pb::WORKER_KIND_POLLER));
  FakeHubWorker answering(address(), {.worker_id = "poller-answering",
                                      .kind = pb::WORKER_KIND_POLLER,
                                      .answer_heartbeats = true});
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_POLLER, 2));
  // Three heartbeat intervals: each sends a heartbeat to both, and only one answers.
  for (size_t beat = 1; beat <= 3; ++beat) {
    fake_clock_.Advance(absl::Minutes(1));
    ASSERT_OK(answering.WaitForCount(pb::ConnectResponse::kHeartbeat, beat, kWait));
    ASSERT_OK(silent.WaitForCount(pb::ConnectResponse::kHeartbeat, beat, kWait));
    absl::SleepFor(absl::Milliseconds(300));  // the hub reads the answer
  }
  LetTheHubTick();
  EXPECT_EQ(hub_->ConnectedWorkers(pb::WORKER_KIND_POLLER), 2)
      << "silent for exactly three intervals is not yet too long";
  const pb::Heartbeat first = answering.Received(pb::ConnectResponse::kHeartbeat)[0].heartbeat();
  EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToMilliseconds(first.sent_at()),
            absl::ToUnixMillis(absl::FromUnixSeconds(1700000000) + absl::Minutes(1)))
      << "heartbeats carry the hub's clock";

  fake_clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(WaitForWorkers(pb::WORKER_KIND_POLLER, 1)) << "the silent worker was kept";
  pb::ConnectRequest report;
  report.mutable_heartbeat();
  EXPECT_TRUE(answering.Send(report)) << "the answering worker's stream was closed too";
}

}  // namespace
}  // namespace werf::hub
