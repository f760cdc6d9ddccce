// Pollers and the real hub (HubServiceImpl over gRPC on 127.0.0.1) in one process,
// against the fault-injecting registry: a test double, because no real registry
// answers 429 with Retry-After on demand (libs/oci/testing/fault_registry.h).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/common/grpc_server.h"
#include "libs/hub/hub_service.h"
#include "libs/oci/testing/fault_registry.h"
#include "services/poller/poller.h"

namespace werf::poller {
namespace {

constexpr int kRepositories = 20;

class PollerHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = oci::testing::FaultRegistry::Start();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    hub_ = std::make_unique<hub::HubServiceImpl>(
        hub::HubServiceImpl::Options{.controller_id = "poller-hub-test",
                                     .heartbeat_interval = absl::Seconds(1)},
        hub::HubCallbacks{.on_repository = [this](const pb::RepositoryObservation& o) {
          absl::MutexLock lock(&mu_);
          observations_.push_back(o);
        }});
    auto server = common::GrpcServer::Start({.address = "127.0.0.1:0", .services = {hub_.get()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);

    std::map<std::string, pb::TrackRepository> repositories;
    for (int i = 0; i < kRepositories; ++i) {
      const std::string path = absl::StrCat("team/app-", i);
      registry_->SetTags(path, {"1.0.0"});
      pb::TrackRepository track;
      track.set_repository(absl::StrCat(registry_->host(), "/", path));
      track.set_key(track.repository());
      track.mutable_access()->set_plain_http(true);
      *track.mutable_poll_interval() = google::protobuf::util::TimeUtil::MillisecondsToDuration(1000);
      repositories.emplace(track.key(), std::move(track));
    }
    hub_->SetRepositories(std::move(repositories));
    hub_->SetServing(true);
    for (int i = 0; i < 2; ++i) {
      auto client = oci::RegistryClient::Create({});
      ASSERT_TRUE(client.ok()) << client.status();
      pollers_.push_back(std::make_unique<Poller>(
          PollerOptions{.controller_address = server_->address().ToString(), .max_concurrent_polls = 2},
          std::make_unique<hub::RegistryAccessReader>(nullptr), std::move(*client)));
      ASSERT_TRUE(pollers_.back()->Start().ok());
    }
  }

  void TearDown() override {
    for (auto& poller : pollers_) poller->Stop();
    hub_->SetServing(false);
    server_->Shutdown(absl::Now() + absl::Seconds(1));
  }

  // Keys with at least one observation of `kind` since index `from`.
  std::set<std::string> KeysWith(pb::RepositoryObservation::ChangeCase kind, size_t from = 0) {
    absl::MutexLock lock(&mu_);
    std::set<std::string> keys;
    for (size_t i = from; i < observations_.size(); ++i) {
      if (observations_[i].change_case() == kind) keys.insert(observations_[i].key());
    }
    return keys;
  }
  std::string Observations() {
    absl::MutexLock lock(&mu_);
    std::string out;
    for (const pb::RepositoryObservation& o : observations_) absl::StrAppend(&out, o.ShortDebugString(), "\n");
    return out;
  }
  size_t ObservationCount() {
    absl::MutexLock lock(&mu_);
    return observations_.size();
  }
  bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return done();
  }

  std::unique_ptr<oci::testing::FaultRegistry> registry_;
  std::unique_ptr<hub::HubServiceImpl> hub_;
  std::unique_ptr<common::GrpcServer> server_;
  std::vector<std::unique_ptr<Poller>> pollers_;
  absl::Mutex mu_;
  std::vector<pb::RepositoryObservation> observations_;
};

TEST_F(PollerHubTest, A429SeenByOnePollerPausesThatRegistryForEveryPoller) {
  ASSERT_TRUE(WaitFor([&] { return KeysWith(pb::RepositoryObservation::kTagsChanged).size() == kRepositories; },
                      absl::Seconds(20)))
      << Observations();
  // Both pollers hold a share, so the pause must cross the hub to reach all of them.
  for (auto& poller : pollers_) {
    ASSERT_GT(poller->Snapshot().assignments_size(), 0) << "rendezvous gave one poller everything";
  }

  const size_t before = ObservationCount();
  registry_->InjectFault({.status = 429,
                          .headers = {{"Retry-After", "5"}},
                          .body = R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})"});
  ASSERT_TRUE(WaitFor([&] { return !KeysWith(pb::RepositoryObservation::kPollThrottled, before).empty(); },
                      absl::Seconds(10)));
  // The throttle went to the hub before the observation on the same stream, and
  // from the hub to the other poller at once; allow for a request already in flight.
  absl::SleepFor(absl::Milliseconds(200));
  registry_->ClearRequests();
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(registry_->CountRequests(), 0) << "every poller waits for the registry's Retry-After";
  // Each repository came due during the pause (1 s interval) and was held back on
  // its own poller, reported once as throttled, never as failed.
  EXPECT_TRUE(WaitFor([&] { return KeysWith(pb::RepositoryObservation::kPollThrottled, before).size() == kRepositories; },
                      absl::Seconds(3)))
      << KeysWith(pb::RepositoryObservation::kPollThrottled, before).size() << " throttled";
  EXPECT_THAT(KeysWith(pb::RepositoryObservation::kPollFailed, before), ::testing::IsEmpty());

  // After the pause polling resumes, and each repository says it recovered.
  EXPECT_TRUE(WaitFor([&] { return KeysWith(pb::RepositoryObservation::kPollRecovered, before).size() == kRepositories; },
                      absl::Seconds(15)));
  EXPECT_GT(registry_->CountRequests(), 0);
  for (auto& poller : pollers_) {
    const pb::ListAssignmentsResponse snapshot = poller->Snapshot();
    for (const pb::Assignment& assignment : snapshot.assignments()) {
      EXPECT_EQ(assignment.consecutive_failures(), 0u) << assignment.key();
    }
  }
}

}  // namespace
}  // namespace werf::poller
