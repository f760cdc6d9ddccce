#include "services/gateway/watch_session.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/blocking_call.h"
#include "libs/common/testing/fake_clock.h"
#include "services/gateway/fake_access_reviewer.h"

namespace werf::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using common::testing::FakeClock;

using Event = absl::StatusOr<std::optional<pb::WatchBundlesResponse>>;

pb::Bundle MakeBundle(const std::string& ns, const std::string& name, const std::string& rv,
                      const std::string& team = "payments") {
  pb::Bundle bundle;
  bundle.set_namespace_(ns);
  bundle.set_name(name);
  bundle.set_resource_version(rv);
  (*bundle.mutable_labels())["team"] = team;
  return bundle;
}

// "ADDED shop/web", "SYNCED", ... for compact expectations.
std::string Describe(const pb::WatchBundlesResponse& event) {
  std::string type = pb::WatchEventType_Name(event.type()).substr(sizeof("WATCH_EVENT_TYPE_") - 1);
  if (!event.has_bundle()) return type;
  return type + " " + event.bundle().namespace_() + "/" + event.bundle().name();
}

// Every event available without waiting: on a fake clock that nobody moves, a deadline
// of now returns as soon as nothing is left, and nothing falls due meanwhile.
std::vector<std::string> Drain(WatchSession& session) {
  std::vector<std::string> events;
  while (true) {
    Event event = session.Next(absl::ZeroDuration());
    EXPECT_TRUE(event.ok()) << event.status();
    if (!event.ok() || !event->has_value()) return events;
    events.push_back(Describe(**event));
  }
}

// One Next on its own thread, so the test can move the clock while it waits. The
// session is the waiter's until Returns() said so.
class Waiter : public common::testing::BlockingCall<Event> {
 public:
  Waiter(WatchSession& session, absl::Duration timeout)
      : BlockingCall([&session, timeout] { return session.Next(timeout); }) {}
  const Event& event() const { return result(); }
};

BundleFilter All() { return BundleFilter{}; }

WatchSession::Options SlowHeartbeats() { return {.heartbeat_interval = absl::Hours(1)}; }

TEST(WatchSessionTest, SendsTheSnapshotThenSyncedThenChanges) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 64, .epoch = 1, .clock = &clock});
  cache.Upsert(MakeBundle("shop", "web", "1"));
  cache.Upsert(MakeBundle("blog", "api", "1"));
  WatchSession session(cache, All(), std::nullopt, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("ADDED blog/api", "ADDED shop/web", "SYNCED"));

  cache.Upsert(MakeBundle("shop", "web", "2"));
  cache.Upsert(MakeBundle("shop", "db", "1"));
  cache.Remove({"blog", "api"});
  EXPECT_THAT(Drain(session), ElementsAre("MODIFIED shop/web", "ADDED shop/db", "DELETED blog/api"));
}

TEST(WatchSessionTest, ChangesCarryRevisionsAndDeletionsOnlyTheName) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 64, .epoch = 0xabc, .clock = &clock});
  WatchSession session(cache, All(), std::nullopt, SlowHeartbeats());
  Event synced = session.Next(absl::ZeroDuration());
  ASSERT_TRUE(synced.ok() && synced->has_value());
  EXPECT_EQ((*synced)->type(), pb::WATCH_EVENT_TYPE_SYNCED);
  EXPECT_EQ((*synced)->revision(), "0-00000abc");

  pb::Bundle bundle = MakeBundle("shop", "web", "1");
  bundle.set_latest_tag("v2");
  cache.Upsert(bundle);
  cache.Remove({"shop", "web"});
  Event added = session.Next(absl::ZeroDuration());
  ASSERT_TRUE(added.ok() && added->has_value());
  EXPECT_EQ((*added)->revision(), "1-00000abc");
  EXPECT_EQ((*added)->bundle().latest_tag(), "v2");
  Event deleted = session.Next(absl::ZeroDuration());
  ASSERT_TRUE(deleted.ok() && deleted->has_value());
  EXPECT_EQ((*deleted)->type(), pb::WATCH_EVENT_TYPE_DELETED);
  EXPECT_EQ((*deleted)->revision(), "2-00000abc");
  EXPECT_EQ((*deleted)->bundle().name(), "web");
  EXPECT_TRUE((*deleted)->bundle().latest_tag().empty());
}

TEST(WatchSessionTest, FiltersByNamespaceAndLabelsAndFollowsRelabelling) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 64, .epoch = 1, .clock = &clock});
  cache.Upsert(MakeBundle("shop", "web", "1", "payments"));
  cache.Upsert(MakeBundle("shop", "search", "1", "search"));
  cache.Upsert(MakeBundle("blog", "web", "1", "payments"));
  BundleFilter filter{.ns = "shop", .phase = pb::BUNDLE_PHASE_UNSPECIFIED,
                      .selector = *kube::LabelSelector::Parse("team=payments"), .access = nullptr};
  WatchSession session(cache, filter, std::nullopt, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("ADDED shop/web", "SYNCED"));

  cache.Upsert(MakeBundle("shop", "web", "2", "search"));     // leaves the selection
  cache.Upsert(MakeBundle("shop", "search", "2", "payments"));  // enters it
  cache.Upsert(MakeBundle("blog", "web", "2", "payments"));    // other namespace
  EXPECT_THAT(Drain(session), ElementsAre("DELETED shop/web", "ADDED shop/search"));
}

TEST(WatchSessionTest, HeartbeatsOnItsClockWhileNothingChanges) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 64, .epoch = 1, .clock = &clock});
  cache.Upsert(MakeBundle("shop", "web", "1"));
  WatchSession session(cache, All(), std::nullopt, {.heartbeat_interval = absl::Seconds(15)});
  EXPECT_EQ(&session.clock(), &clock) << "the session's time is the cache's";
  EXPECT_THAT(Drain(session), ElementsAre("ADDED shop/web", "SYNCED"));

  // Just before the interval: nothing, and Next returns at its deadline.
  clock.Advance(absl::Seconds(15) - absl::Milliseconds(1));
  Event quiet = session.Next(absl::ZeroDuration());
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_FALSE(quiet->has_value()) << Describe(**quiet);

  {
    // A Next waiting well past the interval returns the heartbeat once the clock
    // reaches it, and not before.
    Waiter waiter(session, absl::Hours(1));
    EXPECT_TRUE(waiter.StillWaiting()) << "real time passed, the session's clock did not";
    clock.Advance(absl::Milliseconds(1));
    const bool returned = waiter.Returns();
    EXPECT_TRUE(returned) << "no heartbeat once the interval had passed";
    if (!returned) {
      cache.Close();  // lets the waiter's thread end
      return;
    }
    ASSERT_TRUE(waiter.event().ok()) << waiter.event().status();
    ASSERT_TRUE(waiter.event()->has_value());
    EXPECT_EQ((*waiter.event())->type(), pb::WATCH_EVENT_TYPE_HEARTBEAT);
    EXPECT_EQ((*waiter.event())->revision(), "1-00000001");
  }

  // The next one is due an interval after the last one.
  clock.Advance(absl::Seconds(15) - absl::Milliseconds(1));
  EXPECT_THAT(Drain(session), IsEmpty());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_THAT(Drain(session), ElementsAre("HEARTBEAT"));

  // Anything sent restarts the interval.
  clock.Advance(absl::Seconds(10));
  cache.Upsert(MakeBundle("shop", "web", "2"));
  EXPECT_THAT(Drain(session), ElementsAre("MODIFIED shop/web"));
  clock.Advance(absl::Seconds(10));
  EXPECT_THAT(Drain(session), IsEmpty());
  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(Drain(session), ElementsAre("HEARTBEAT"));
}

TEST(WatchSessionTest, ResumesWithOnlyTheMissedChanges) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 64, .epoch = 1, .clock = &clock});
  cache.Upsert(MakeBundle("shop", "web", "1"));  // revision 1
  cache.Upsert(MakeBundle("shop", "db", "1"));   // revision 2
  cache.Upsert(MakeBundle("shop", "web", "2"));  // revision 3
  WatchSession session(cache, All(), Revision{1, 1}, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("SYNCED", "ADDED shop/db", "MODIFIED shop/web"));
  EXPECT_EQ(session.resyncs(), 0);
}

TEST(WatchSessionTest, ARevisionFromAnotherProcessGetsResyncAndASnapshot) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 64, .epoch = 1, .clock = &clock});
  cache.Upsert(MakeBundle("shop", "web", "1"));
  WatchSession session(cache, All(), Revision{/*epoch=*/2, 1}, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("RESYNC", "ADDED shop/web", "SYNCED"));
  EXPECT_EQ(session.resyncs(), 1);
}

TEST(WatchSessionTest, ASlowWatcherIsResyncedWithoutHoldingUpTheWriter) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 4, .epoch = 1, .clock = &clock});
  cache.Upsert(MakeBundle("shop", "a", "1"));
  int resyncs = 0;
  WatchSession session(cache, All(), std::nullopt,
                       {.heartbeat_interval = absl::Hours(1), .on_resync = [&resyncs] { ++resyncs; }});
  EXPECT_THAT(Drain(session), ElementsAre("ADDED shop/a", "SYNCED"));

  // The watcher does not read while ten changes go by; the log keeps four.
  for (int i = 2; i < 12; ++i) cache.Upsert(MakeBundle("shop", "a", std::to_string(i)));
  cache.Upsert(MakeBundle("shop", "b", "1"));
  EXPECT_THAT(Drain(session), ElementsAre("RESYNC", "ADDED shop/a", "ADDED shop/b", "SYNCED"));
  EXPECT_EQ(resyncs, 1);
  cache.Remove({"shop", "a"});
  EXPECT_THAT(Drain(session), ElementsAre("DELETED shop/a"));
}

TEST(WatchSessionTest, EndsWhenTheCacheCloses) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 4, .epoch = 1, .clock = &clock});
  WatchSession session(cache, All(), std::nullopt, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("SYNCED"));
  Waiter waiter(session, absl::Minutes(10));
  EXPECT_TRUE(waiter.StillWaiting());
  cache.Close();
  const bool returned = waiter.Returns();
  EXPECT_TRUE(returned) << "Close did not end the watch";
  if (!returned) {
    clock.Advance(absl::Hours(2));  // lets the waiter's thread end
    return;
  }
  EXPECT_EQ(waiter.event().status().code(), absl::StatusCode::kUnavailable);
}

// Access re-checks, against the fake reviewer with nothing cached (the decisions'
// caching is access_control_test.cc's). The Authorizer and the cache share one fake
// clock, as main.cc shares the real one.
class WatchRecheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_.Upsert(MakeBundle("shop", "web", "1"));
    cache_.Upsert(MakeBundle("blog", "web", "1"));
    for (const char* verb : {"list", "watch"}) reviewer_->grants.emplace("alice", verb, "shop");
  }

  // A cluster-wide watch by `token`'s user, re-checked every `interval`.
  std::unique_ptr<WatchSession> Watch(const std::string& token, absl::Duration interval) {
    absl::StatusOr<Caller> caller = authorizer_.Authenticate("Bearer " + token);
    EXPECT_TRUE(caller.ok()) << caller.status();
    if (!caller.ok()) return nullptr;
    absl::StatusOr<std::shared_ptr<NamespaceAccess>> access =
        authorizer_.ScopeNamespaces(*caller, {"list", "watch"}, "", cache_.Namespaces());
    EXPECT_TRUE(access.ok()) << access.status();
    if (!access.ok()) return nullptr;
    BundleFilter filter;
    filter.access = *access;
    return std::make_unique<WatchSession>(
        cache_, std::move(filter), std::nullopt,
        WatchSession::Options{.heartbeat_interval = absl::Hours(24),
                              .recheck_interval = interval,
                              .on_recheck = [this](const absl::Status& outcome) { outcomes_.push_back(outcome.code()); }});
  }

  FakeClock clock_;
  BundleCache cache_{{.change_log_capacity = 64, .epoch = 1, .clock = &clock_}};
  std::shared_ptr<FakeReviewer> reviewer_ = std::make_shared<FakeReviewer>();
  Authorizer authorizer_{reviewer_, {.cache_ttl = absl::ZeroDuration(), .clock = &clock_}};
  // Written by whichever thread drives the session; read once it is done.
  std::vector<absl::StatusCode> outcomes_;
};

TEST_F(WatchRecheckTest, ChecksAgainEveryIntervalOfItsClockWhileAccessHolds) {
  std::unique_ptr<WatchSession> session = Watch("good", absl::Seconds(20));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session), ElementsAre("ADDED shop/web", "SYNCED"));
  EXPECT_THAT(outcomes_, IsEmpty()) << "checked before the interval";
  const int reviews = reviewer_->token_reviews;
  for (int interval = 1; interval <= 3; ++interval) {
    clock_.Advance(absl::Seconds(20) - absl::Milliseconds(1));
    EXPECT_THAT(Drain(*session), IsEmpty());
    EXPECT_EQ(outcomes_.size(), static_cast<size_t>(interval - 1)) << "checked before interval " << interval;
    clock_.Advance(absl::Milliseconds(1));
    EXPECT_THAT(Drain(*session), IsEmpty());
    EXPECT_EQ(outcomes_.size(), static_cast<size_t>(interval)) << "not checked at interval " << interval;
    EXPECT_EQ(reviewer_->token_reviews, reviews + interval) << "the token is reviewed again";
  }
  EXPECT_THAT(outcomes_, ::testing::Each(absl::StatusCode::kOk));

  // Changes still flow between re-checks.
  cache_.Upsert(MakeBundle("shop", "web", "2"));
  EXPECT_THAT(Drain(*session), ElementsAre("MODIFIED shop/web"));
}

TEST_F(WatchRecheckTest, ARevokedGrantEndsTheWatchBeforeAnythingElseIsSent) {
  std::unique_ptr<WatchSession> session = Watch("good", absl::Seconds(50));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session), ElementsAre("ADDED shop/web", "SYNCED"));
  reviewer_->grants.erase(std::make_tuple("alice", "list", "shop"));
  clock_.Advance(absl::Seconds(49));
  EXPECT_THAT(Drain(*session), IsEmpty());
  EXPECT_THAT(outcomes_, IsEmpty()) << "checked before the interval";

  clock_.Advance(absl::Seconds(1));
  cache_.Upsert(MakeBundle("shop", "web", "2"));  // must not reach the client any more
  Event ended = session->Next(absl::Minutes(5));
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(ended.status().message(), ::testing::HasSubstr("in the namespace \"shop\" any more"));
  EXPECT_THAT(outcomes_, ElementsAre(absl::StatusCode::kPermissionDenied));
}

TEST_F(WatchRecheckTest, AnIdleWatchEndsAtTheIntervalAfterItsTokenIsRevoked) {
  std::unique_ptr<WatchSession> session = Watch("good", absl::Seconds(50));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session), ElementsAre("ADDED shop/web", "SYNCED"));
  reviewer_->users.clear();
  {
    Waiter waiter(*session, absl::Hours(1));
    EXPECT_TRUE(waiter.StillWaiting());
    clock_.Advance(absl::Seconds(50) - absl::Milliseconds(1));
    EXPECT_TRUE(waiter.StillWaiting()) << "ended before the interval";
    clock_.Advance(absl::Milliseconds(1));
    const bool returned = waiter.Returns();
    EXPECT_TRUE(returned) << "still open past the interval";
    if (!returned) {
      cache_.Close();  // lets the waiter's thread end
      return;
    }
    EXPECT_EQ(waiter.event().status().code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_THAT(outcomes_, ElementsAre(absl::StatusCode::kUnauthenticated));
}

TEST_F(WatchRecheckTest, EndsWhenTheTokenExpiresNotAtTheNextInterval) {
  // JWT times are whole seconds, as is the fake clock's start.
  const absl::Time expiry = clock_.Now() + absl::Seconds(90);
  ASSERT_EQ(expiry, absl::FromUnixSeconds(absl::ToUnixSeconds(expiry)));
  const std::string token =
      "e30." + absl::WebSafeBase64Escape("{\"exp\":" + std::to_string(absl::ToUnixSeconds(expiry)) + "}") + ".sig";
  reviewer_->users.emplace(token, reviewer_->users.at("good"));
  std::unique_ptr<WatchSession> session = Watch(token, absl::Hours(1));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session), ElementsAre("ADDED shop/web", "SYNCED"));
  {
    Waiter waiter(*session, absl::Hours(2));
    EXPECT_TRUE(waiter.StillWaiting());
    clock_.Advance(absl::Seconds(90) - absl::Milliseconds(1));
    EXPECT_TRUE(waiter.StillWaiting()) << "ended before the token expired";
    clock_.Advance(absl::Milliseconds(1));
    const bool returned = waiter.Returns();
    EXPECT_TRUE(returned) << "still open after the token expired";
    if (!returned) {
      cache_.Close();  // lets the waiter's thread end
      return;
    }
    EXPECT_EQ(waiter.event().status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(waiter.event().status().message(), ::testing::HasSubstr("expired"));
  }
  EXPECT_THAT(outcomes_, ElementsAre(absl::StatusCode::kUnauthenticated)) << "one check, at the expiry";
}

TEST(WatchSessionTest, WithoutAuthNothingIsRechecked) {
  FakeClock clock;
  BundleCache cache({.change_log_capacity = 4, .epoch = 1, .clock = &clock});
  int rechecks = 0;
  WatchSession session(cache, All(), std::nullopt,
                       {.heartbeat_interval = absl::Hours(1),
                        .recheck_interval = absl::Milliseconds(1),
                        .on_recheck = [&rechecks](const absl::Status&) { ++rechecks; }});
  EXPECT_THAT(Drain(session), ElementsAre("SYNCED"));
  for (int i = 0; i < 3; ++i) {
    clock.Advance(absl::Seconds(1));
    EXPECT_THAT(Drain(session), IsEmpty());
  }
  EXPECT_EQ(rechecks, 0);
}

TEST(WatchSessionTest, DefaultsToTheRealClock) {
  BundleCache cache({.change_log_capacity = 4, .epoch = 1});
  WatchSession session(cache, All(), std::nullopt, SlowHeartbeats());
  EXPECT_EQ(&session.clock(), &common::RealClock());
}

}  // namespace
}  // namespace werf::gateway
