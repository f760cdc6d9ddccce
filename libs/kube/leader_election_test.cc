// Leader election on a Lease in the fake API server, at test timings: acquire, renew,
// release, wait out another holder, and step down when renewals keep failing.
#include "libs/kube/leader_election.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::kube {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testing::ApiError;
using testing::FakeRestClient;
using testing::Verb;
using ::werf::common::testing::FakeClock;

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// Short timings, in the order Start() requires: retry < renew deadline < lease.
LeaderElectionOptions Options(const std::string& identity) {
  return {.lease_namespace = "ops",
          .lease_name = "werf-controller",
          .identity = identity,
          .lease_duration = absl::Seconds(1),
          .renew_deadline = absl::Milliseconds(400),
          .retry_period = absl::Milliseconds(50)};
}

std::string Holder(FakeRestClient& fake) {
  const std::optional<json> lease = fake.Object(resources::kLeases, "ops", "werf-controller");
  return lease ? (*lease)["spec"].value("holderIdentity", "") : "<none>";
}

class Leaders {
 public:
  void Add(const std::string& leader) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(leader);
  }
  std::vector<std::string> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> seen_;
};

TEST(LeaderElectionTest, AcquiresAnAbsentLeaseRenewsItAndReleasesItOnStop) {
  auto fake = std::make_shared<FakeRestClient>();
  std::atomic<int> started{0}, stopped{0};
  LeaderElectionOptions options = Options("me");
  options.on_started_leading = [&] { ++started; };
  options.on_stopped_leading = [&] { ++stopped; };
  LeaderElector elector(fake, options);
  ASSERT_TRUE(elector.Start().ok());
  ASSERT_TRUE(Eventually([&] { return elector.IsLeader(); }));
  EXPECT_EQ(Holder(*fake), "me");
  EXPECT_EQ(elector.Leader(), "me");
  // Renewals are compare-and-swap updates of the lease it created.
  ASSERT_TRUE(Eventually([&] { return fake->requests(Verb::kUpdate).size() >= 3; }));
  EXPECT_EQ(fake->requests(Verb::kCreate).size(), 1u);
  EXPECT_TRUE(elector.IsLeader());

  elector.Stop();
  EXPECT_FALSE(elector.IsLeader());
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(stopped.load(), 1);
  EXPECT_EQ(Holder(*fake), "");  // released, so a successor need not wait
}

TEST(LeaderElectionTest, TakesAnotherHoldersLeaseOnlyAfterItWentUnrenewedForALeaseDuration) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->Seed(resources::kLeases,
             {{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", {{"name", "werf-controller"}, {"namespace", "ops"}}},
              {"spec", {{"holderIdentity", "other"}, {"leaseDurationSeconds", 1}, {"leaseTransitions", 3}}}});
  Leaders leaders;
  LeaderElectionOptions options = Options("me");
  options.on_new_leader = [&](const std::string& leader) { leaders.Add(leader); };
  const absl::Time started = absl::Now();
  LeaderElector elector(fake, options);
  ASSERT_TRUE(elector.Start().ok());
  ASSERT_TRUE(Eventually([&] { return elector.IsLeader(); }));
  // Its own clock from the first sight of the record decides, not the lease's timestamps.
  EXPECT_GE(absl::Now() - started, absl::Seconds(1));
  const std::optional<json> lease = fake->Object(resources::kLeases, "ops", "werf-controller");
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "me");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 4);
  elector.Stop();
  EXPECT_THAT(leaders.seen(), ElementsAre("other", "me"));
}

TEST(LeaderElectionTest, StepsDownWhenRenewalsConflictPastTheRenewDeadline) {
  auto fake = std::make_shared<FakeRestClient>();
  std::atomic<int> stopped{0};
  LeaderElectionOptions options = Options("me");
  options.release_on_stop = false;
  options.on_stopped_leading = [&] { ++stopped; };
  LeaderElector elector(fake, options);
  ASSERT_TRUE(elector.Start().ok());
  ASSERT_TRUE(Eventually([&] { return elector.IsLeader(); }));

  // Another writer keeps winning the compare-and-swap.
  fake->FailNext(Verb::kUpdate, ApiError(409, "Conflict", "the object has been modified"), 1000);
  const absl::Time failing = absl::Now();
  ASSERT_TRUE(Eventually([&] { return !elector.IsLeader(); }));
  // Not at the first failure: only once no renewal succeeded for the renew deadline
  // (counted from the last success, up to a retry period before `failing`).
  EXPECT_GE(absl::Now() - failing, Options("me").renew_deadline / 2);
  EXPECT_TRUE(Eventually([&] { return stopped.load() == 1; }));
  elector.Stop();
}

// Moves `clock` on by `tick` at a time, giving the elector's thread a real
// millisecond after each, until `condition` holds; false after 10 s of real time.
bool AdvanceUntil(FakeClock& clock, absl::Duration tick, const std::function<bool()>& condition) {
  return Eventually([&] {
    if (condition()) return true;
    clock.Advance(tick);
    return false;
  });
}

// The production timings on a fake clock: the candidate takes another holder's lease
// only once it has stayed unchanged for the lease's own leaseDurationSeconds, counted
// from the candidate's first sight of it.
TEST(LeaderElectionTest, TakesAnUnrenewedLeaseOnlyAfterItsDurationOnTheCandidatesClock) {
  for (const int lease_seconds : {1, 15}) {
    SCOPED_TRACE(lease_seconds);
    auto fake = std::make_shared<FakeRestClient>();
    fake->Seed(resources::kLeases,
               {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "werf-controller"}, {"namespace", "ops"}}},
                {"spec", {{"holderIdentity", "other"}, {"leaseDurationSeconds", lease_seconds}}}});
    FakeClock clock;
    const absl::Time start = clock.Now();
    LeaderElector elector(fake, {.lease_namespace = "ops",
                                 .lease_name = "werf-controller",
                                 .identity = "me",
                                 .clock = &clock});
    ASSERT_TRUE(elector.Start().ok());
    ASSERT_TRUE(AdvanceUntil(clock, absl::Milliseconds(100), [&] { return elector.IsLeader(); }));
    EXPECT_GE(clock.Now() - start, absl::Seconds(lease_seconds));
    EXPECT_EQ(Holder(*fake), "me");
    elector.Stop();
  }
}

// A leader whose renewals keep failing steps down once none succeeded for the renew
// deadline as its clock measures it (10 s here), and not before.
TEST(LeaderElectionTest, StepsDownOnlyOnceTheRenewDeadlinePassedOnItsClock) {
  auto fake = std::make_shared<FakeRestClient>();
  FakeClock clock;
  LeaderElector elector(fake, {.lease_namespace = "ops",
                               .lease_name = "werf-controller",
                               .identity = "me",
                               .release_on_stop = false,
                               .clock = &clock});
  ASSERT_TRUE(elector.Start().ok());
  ASSERT_TRUE(Eventually([&] { return elector.IsLeader(); }));
  // The clock has not moved since the lease was taken: that is the last renewal.
  const absl::Time renewed = clock.Now();
  fake->FailNext(Verb::kUpdate, ApiError(409, "Conflict", "the object has been modified"), 100000);
  ASSERT_TRUE(AdvanceUntil(clock, absl::Milliseconds(100), [&] { return !elector.IsLeader(); }));
  EXPECT_GE(clock.Now() - renewed, absl::Seconds(10));
  EXPECT_FALSE(fake->requests(Verb::kUpdate).empty());  // it did try to renew meanwhile
  elector.Stop();
}

TEST(LeaderElectionTest, OfTwoCandidatesOneLeads) {
  auto fake = std::make_shared<FakeRestClient>();
  LeaderElector a(fake, Options("a"));
  LeaderElector b(fake, Options("b"));
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(Eventually([&] { return a.IsLeader() || b.IsLeader(); }));
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(a.IsLeader() && b.IsLeader());
    absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_EQ(Holder(*fake), a.IsLeader() ? "a" : "b");
  a.Stop();
  b.Stop();
}

}  // namespace
}  // namespace werf::kube
