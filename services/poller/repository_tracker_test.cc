// RepositoryTracker against the fault-injecting registry (a test double for
// faults and ETags real registries will not produce on demand; see
// libs/oci/testing/fault_registry.h). The real registries are exercised by the
// end-to-end tests.
#include "services/poller/repository_tracker.h"

#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/oci/testing/fault_registry.h"

namespace werf::poller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RepositoryTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = oci::testing::FaultRegistry::Start();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    auto client = oci::RegistryClient::Create({});
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
    registry_->SetTags("team/app", {"1.0.0", "1.1.0"});
    registry_->SetManifest("team/app", "1.1.0", R"({"schemaVersion":2,"layers":[]})");
    access_.security = oci::TransportSecurity::kPlainHttp;
  }

  pb::TrackRepository Assignment(std::vector<std::string> watched = {}) {
    pb::TrackRepository track;
    track.set_key("k");
    track.set_repository(registry_->host() + "/team/app");
    *track.mutable_poll_interval() = google::protobuf::util::TimeUtil::SecondsToDuration(60);
    for (auto& tag : watched) track.add_watched_tags(tag);
    return track;
  }

  std::vector<pb::RepositoryObservation> Poll(RepositoryTracker& tracker,
                                              absl::Status access_error = absl::OkStatus()) {
    return tracker.Poll(*client_, access_, access_error, absl::Now());
  }

  std::unique_ptr<oci::testing::FaultRegistry> registry_;
  std::unique_ptr<oci::RegistryClient> client_;
  oci::RegistryAccess access_;
};

TEST_F(RepositoryTrackerTest, ReportsOnceAfterAssignmentThenOnlyChanges) {
  RepositoryTracker tracker(Assignment({"1.1.0"}));
  std::vector<pb::RepositoryObservation> first = Poll(tracker);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_THAT(first[0].tags_changed().tags(), ElementsAre("1.0.0", "1.1.0"));
  EXPECT_EQ(first[1].digest_changed().tag(), "1.1.0");
  EXPECT_THAT(first[1].digest_changed().digest(), HasSubstr("sha256:"));

  EXPECT_TRUE(Poll(tracker).empty()) << "nothing changed, nothing reported";

  registry_->SetTags("team/app", {"1.0.0", "1.1.0", "1.2.0"});
  std::vector<pb::RepositoryObservation> added = Poll(tracker);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_THAT(added[0].tags_changed().added(), ElementsAre("1.2.0"));

  // Re-published tag: same name, new manifest.
  registry_->SetManifest("team/app", "1.1.0", R"({"schemaVersion":2,"layers":[],"x":1})");
  std::vector<pb::RepositoryObservation> digest = Poll(tracker);
  ASSERT_EQ(digest.size(), 1u);
  EXPECT_EQ(digest[0].digest_changed().previous_digest(), first[1].digest_changed().digest());

  tracker.ForceFullReport();
  EXPECT_EQ(Poll(tracker).size(), 2u) << "a new assignment gets everything again";
}

TEST_F(RepositoryTrackerTest, FailuresAreClassifiedCountedAndRecoveryReported) {
  RepositoryTracker tracker(Assignment(), absl::Seconds(1), absl::Seconds(8));
  Poll(tracker);
  registry_->InjectFault({.status = 503}, 3);
  for (uint32_t i = 1; i <= 3; ++i) {
    std::vector<pb::RepositoryObservation> failed = Poll(tracker);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].poll_failed().reason(), pb::POLL_FAILURE_REASON_UNAVAILABLE);
    EXPECT_EQ(failed[0].poll_failed().consecutive_failures(), i);
    EXPECT_THAT(failed[0].poll_failed().message(), HasSubstr(registry_->host()));
  }
  // Backoff doubles from 1 s: after 3 failures the next poll is 4 s (+-10 %) away.
  absl::BitGen random;
  const absl::Duration wait = tracker.NextPoll(tracker.last_poll(), random) - tracker.last_poll();
  EXPECT_GE(wait, absl::Milliseconds(3600));
  EXPECT_LE(wait, absl::Milliseconds(4400));
  std::vector<pb::RepositoryObservation> recovered = Poll(tracker);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].poll_recovered().previous_failures(), 3u);
}

TEST_F(RepositoryTrackerTest, ARateLimitIsReportedOnceAndIsNoFailure) {
  RepositoryTracker tracker(Assignment(), absl::Seconds(1), absl::Seconds(8));
  Poll(tracker);
  registry_->InjectFault({.status = 503}, 1);
  ASSERT_EQ(Poll(tracker).size(), 1u);
  ASSERT_EQ(tracker.consecutive_failures(), 1u);

  registry_->InjectFault({.status = 429, .headers = {{"Retry-After", "1"}}}, 1);
  std::vector<pb::RepositoryObservation> throttled = Poll(tracker);
  ASSERT_EQ(throttled.size(), 1u);
  ASSERT_TRUE(throttled[0].has_poll_throttled()) << throttled[0].DebugString();
  EXPECT_THAT(throttled[0].poll_throttled().message(), HasSubstr("rate limiting"));
  EXPECT_TRUE(tracker.throttled());
  EXPECT_EQ(tracker.consecutive_failures(), 1u) << "a throttle neither counts nor forgives a failure";
  // It waits for the registry's time, not its own backoff.
  absl::BitGen random;
  const absl::Time resumes = absl::FromUnixMillis(
      google::protobuf::util::TimeUtil::TimestampToMilliseconds(throttled[0].poll_throttled().resumes_at()));
  EXPECT_GE(tracker.NextPoll(tracker.last_poll(), random), resumes);

  // Polled again inside the pause (the client refuses locally): the same pause is no news.
  EXPECT_TRUE(Poll(tracker).empty());
  EXPECT_EQ(registry_->CountRequests("GET", "/v2/team/app/tags"), 3) << "nothing sent during the pause";

  absl::SleepFor(absl::Milliseconds(1100));
  std::vector<pb::RepositoryObservation> recovered = Poll(tracker);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].poll_recovered().previous_failures(), 1u);
  EXPECT_FALSE(tracker.throttled());
  EXPECT_EQ(tracker.consecutive_failures(), 0u);
}

TEST_F(RepositoryTrackerTest, MissingRepositoryAndCredentialErrors) {
  pb::TrackRepository track = Assignment();
  track.set_repository(registry_->host() + "/team/absent");
  RepositoryTracker missing(track);
  std::vector<pb::RepositoryObservation> failed = Poll(missing);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].poll_failed().reason(), pb::POLL_FAILURE_REASON_NOT_FOUND);

  RepositoryTracker no_secret(Assignment());
  failed = Poll(no_secret, oci::MakeError(absl::StatusCode::kFailedPrecondition,
                                          "Secret \"creds\" not found",
                                          {.reason = oci::ErrorReason::kCredentials}));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].poll_failed().reason(), pb::POLL_FAILURE_REASON_CREDENTIALS);
  EXPECT_EQ(registry_->CountRequests("GET", "/v2/team/app"), 0) << "no registry traffic without credentials";
}

TEST_F(RepositoryTrackerTest, JitterKeepsPollsWithinTenPercent) {
  RepositoryTracker tracker(Assignment());
  Poll(tracker);
  absl::BitGen random;
  for (int i = 0; i < 200; ++i) {
    const absl::Duration wait = tracker.NextPoll(tracker.last_poll(), random) - tracker.last_poll();
    EXPECT_GE(wait, absl::Seconds(54));
    EXPECT_LE(wait, absl::Seconds(66));
  }
}

}  // namespace
}  // namespace werf::poller
