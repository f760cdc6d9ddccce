// Leader election between two real processes (leader_candidate) on a real Lease: a killed
// leader is replaced once its lease runs out, a gracefully stopped one hands over at once,
// and the leadership intervals the candidates log never overlap.
//
// Timings are client-go's 15 s / 10 s / 2 s scaled down to 6 s / 4 s / 1 s (lease duration,
// renew deadline, retry period) to keep the test short; the Lease stores whole seconds.
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/resource.h"
#include "test/integration/kube/kube_test_support.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::kube_test {
namespace {

constexpr absl::Duration kLeaseDuration = absl::Seconds(6);
constexpr absl::Duration kRenewDeadline = absl::Seconds(4);
constexpr absl::Duration kRetryPeriod = absl::Seconds(1);
// A candidate polls the lease every retry period stretched by up to 2.2x (client-go's jitter
// factor 1.2).
const absl::Duration kLongestPoll = kRetryPeriod * 2.2;
constexpr absl::Duration kSlack = absl::Seconds(1);

struct Interval {
  std::string identity;
  absl::Time start;
  absl::Time end;
};

absl::Time EventTime(const nlohmann::json& line) { return absl::FromUnixMicros(line.value("unix_micros", int64_t{0})); }

class Candidate {
 public:
  static absl::StatusOr<std::unique_ptr<Candidate>> Start(const std::string& ns, const std::string& lease,
                                                          const std::string& identity) {
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = StartChild(
        {WERF_KUBE_LEADER_CANDIDATE, absl::StrCat("--kubeconfig=", getenv("KUBECONFIG")),
         absl::StrCat("--namespace=", ns), absl::StrCat("--lease=", lease), absl::StrCat("--identity=", identity),
         absl::StrCat("--lease_duration=", absl::FormatDuration(kLeaseDuration)),
         absl::StrCat("--renew_deadline=", absl::FormatDuration(kRenewDeadline)),
         absl::StrCat("--retry_period=", absl::FormatDuration(kRetryPeriod))},
        identity);
    if (!process.ok()) return process.status();
    return std::unique_ptr<Candidate>(new Candidate(identity, *std::move(process)));
  }

  const std::string& identity() const { return identity_; }
  ChildProcess& process() { return *process_; }

  // The time of the first `event` line, if printed yet.
  std::optional<absl::Time> First(absl::string_view event) const {
    for (const nlohmann::json& line : StdoutJsonLines(*process_)) {
      if (line.value("event", "") == event) return EventTime(line);
    }
    return std::nullopt;
  }
  bool Leading() const {
    bool leading = false;
    for (const nlohmann::json& line : StdoutJsonLines(*process_)) {
      const std::string event = line.value("event", "");
      if (event == "started_leading") leading = true;
      if (event == "stopped_leading") leading = false;
    }
    return leading;
  }

  // Leadership intervals from the log; one still open ends at `open_until` (the kill time
  // for a killed candidate, the end of the test for a live one).
  std::vector<Interval> Intervals(absl::Time open_until) const {
    std::vector<Interval> intervals;
    std::optional<absl::Time> started;
    for (const nlohmann::json& line : StdoutJsonLines(*process_)) {
      const std::string event = line.value("event", "");
      if (event == "started_leading") started = EventTime(line);
      if (event == "stopped_leading" && started) {
        intervals.push_back({identity_, *started, EventTime(line)});
        started.reset();
      }
    }
    if (started) intervals.push_back({identity_, *started, open_until});
    return intervals;
  }

  std::string Log() const {
    return absl::StrCat(process_->Text(ChildProcess::Stream::kStdout), "--- stderr ---\n",
                        process_->Text(ChildProcess::Stream::kStderr));
  }

 private:
  Candidate(std::string identity, std::unique_ptr<ChildProcess> process)
      : identity_(std::move(identity)), process_(std::move(process)) {}

  std::string identity_;
  std::unique_ptr<ChildProcess> process_;
};

// No two intervals of different candidates overlap.
void ExpectNoOverlap(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
  for (size_t i = 1; i < intervals.size(); ++i) {
    EXPECT_LE(intervals[i - 1].end, intervals[i].start)
        << intervals[i - 1].identity << " led until " << intervals[i - 1].end << " but " << intervals[i].identity
        << " started leading at " << intervals[i].start;
  }
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(namespace_.ok()) << namespace_.status();
    for (const char* identity : {"candidate-a", "candidate-b"}) {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<Candidate> candidate,
                           Candidate::Start(namespace_.name(), "werf-test-lease", identity));
      candidates_.push_back(std::move(candidate));
    }
    // One of them leads and the other has seen it lead.
    ASSERT_OK(testbed::WaitFor(
        "one candidate to lead and the other to follow",
        [&]() -> absl::StatusOr<bool> {
          for (const auto& candidate : candidates_) {
            if (!candidate->process().Running()) {
              return absl::InternalError(absl::StrCat(candidate->identity(), " exited:\n", candidate->Log()));
            }
          }
          const int leading = std::count_if(candidates_.begin(), candidates_.end(),
                                            [](const auto& c) { return c->Leading(); });
          if (leading != 1) return false;
          leader_ = candidates_[0]->Leading() ? 0 : 1;
          return follower().First("new_leader").has_value();
        },
        absl::Seconds(60)));
    // Let the leader renew a few times while the follower watches.
    absl::SleepFor(kRetryPeriod * 3);
    ASSERT_FALSE(follower().First("started_leading").has_value()) << follower().Log();
  }

  Candidate& leader() { return *candidates_[leader_]; }
  Candidate& follower() { return *candidates_[1 - leader_]; }

  absl::StatusOr<absl::Time> WaitForFollowerToLead() {
    std::optional<absl::Time> started;
    const absl::Status waited = testbed::WaitFor(
        "the follower to start leading",
        [&]() -> absl::StatusOr<bool> {
          started = follower().First("started_leading");
          return started.has_value();
        },
        absl::Seconds(60), absl::Milliseconds(50));
    if (!waited.ok()) return absl::DeadlineExceededError(absl::StrCat(waited.message(), "\n", follower().Log()));
    return *started;
  }

  ScopedNamespace namespace_{"kube-leader"};
  std::vector<std::unique_ptr<Candidate>> candidates_;
  int leader_ = -1;
};

TEST_F(LeaderElectionTest, KilledLeaderIsReplacedOnceItsLeaseRunsOut) {
  ASSERT_OK(leader().process().Signal(SIGKILL));
  const absl::Time killed_at = absl::Now();
  ASSERT_OK_AND_ASSIGN(const int exit_code, leader().process().Wait(absl::Seconds(10)));
  EXPECT_EQ(exit_code, 128 + SIGKILL);

  ASSERT_OK_AND_ASSIGN(const absl::Time took_over_at, WaitForFollowerToLead());
  const absl::Duration takeover = took_over_at - killed_at;
  RecordProperty("takeover_seconds", absl::StrCat(absl::ToDoubleSeconds(takeover)));
  std::cout << "takeover after kill -9: " << takeover << "\n";
  // Not before the lease can have run out: the follower waits a full lease duration after
  // seeing the last renewal, which was at most a retry period plus one lease request (whose
  // timeout is also the retry period) before the kill.
  EXPECT_GE(takeover, kLeaseDuration - 2 * kRetryPeriod);
  // The follower saw the last renewal at its next poll (up to one jittered retry period
  // after it) and notices expiry at the first poll after that plus the lease duration; so
  // lease duration + 2 jittered retry periods. client-go has the same bound.
  EXPECT_LE(takeover, kLeaseDuration + 2 * kLongestPoll + kSlack);

  ExpectNoOverlap([&] {
    std::vector<Interval> all = leader().Intervals(killed_at);
    for (const Interval& interval : follower().Intervals(absl::Now())) all.push_back(interval);
    return all;
  }());
}

TEST_F(LeaderElectionTest, GracefullyStoppedLeaderReleasesTheLeaseAndIsReplacedAtOnce) {
  ASSERT_OK(leader().process().Signal(SIGTERM));
  const absl::Time stopped_at = absl::Now();
  ASSERT_OK_AND_ASSIGN(const int exit_code, leader().process().Wait(absl::Seconds(10)));
  EXPECT_EQ(exit_code, 0) << leader().Log();
  ASSERT_TRUE(leader().First("exiting").has_value()) << leader().Log();

  ASSERT_OK_AND_ASSIGN(const absl::Time took_over_at, WaitForFollowerToLead());
  const absl::Duration takeover = took_over_at - stopped_at;
  RecordProperty("takeover_seconds", absl::StrCat(absl::ToDoubleSeconds(takeover)));
  std::cout << "takeover after SIGTERM: " << takeover << "\n";
  // The released lease is free at the follower's next poll: no waiting out the lease.
  EXPECT_LE(takeover, kLongestPoll + kSlack);
  EXPECT_LT(takeover, kLeaseDuration / 2);

  const std::vector<Interval> stopped = leader().Intervals(absl::InfiniteFuture());
  ASSERT_EQ(stopped.size(), 1u) << leader().Log();
  EXPECT_LE(stopped[0].end, *leader().First("exiting"));
  ExpectNoOverlap([&] {
    std::vector<Interval> all = stopped;
    for (const Interval& interval : follower().Intervals(absl::Now())) all.push_back(interval);
    return all;
  }());

  ASSERT_OK_AND_ASSIGN(const std::shared_ptr<kube::RestClient> client, AdminClient());
  ASSERT_OK_AND_ASSIGN(const nlohmann::json lease,
                       client->Get(kube::resources::kLeases, namespace_.name(), "werf-test-lease"));
  EXPECT_EQ(lease["spec"].value("holderIdentity", ""), follower().identity());
  EXPECT_EQ(lease["spec"].value("leaseTransitions", 0), 1) << lease.dump();
}

}  // namespace
}  // namespace werf::kube_test
