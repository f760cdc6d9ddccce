#include "services/gateway/watch_session.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/fake_access_reviewer.h"

namespace werf::gateway {
namespace {

using ::testing::ElementsAre;

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

// Events until none arrives within `quiet` (heartbeats excluded).
std::vector<std::string> Drain(WatchSession& session, absl::Duration quiet = absl::Milliseconds(30)) {
  std::vector<std::string> events;
  while (true) {
    absl::StatusOr<std::optional<pb::WatchBundlesResponse>> event = session.Next(absl::Now() + quiet);
    EXPECT_TRUE(event.ok()) << event.status();
    if (!event.ok() || !event->has_value()) return events;
    if ((*event)->type() == pb::WATCH_EVENT_TYPE_HEARTBEAT) continue;
    events.push_back(Describe(**event));
  }
}

BundleFilter All() { return BundleFilter{}; }

WatchSession::Options SlowHeartbeats() { return {.heartbeat_interval = absl::Hours(1)}; }

TEST(WatchSessionTest, SendsTheSnapshotThenSyncedThenChanges) {
  BundleCache cache({.change_log_capacity = 64, .epoch = 1});
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
  BundleCache cache({.change_log_capacity = 64, .epoch = 0xabc});
  WatchSession session(cache, All(), std::nullopt, SlowHeartbeats());
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> synced = session.Next(absl::Now());
  ASSERT_TRUE(synced.ok() && synced->has_value());
  EXPECT_EQ((*synced)->type(), pb::WATCH_EVENT_TYPE_SYNCED);
  EXPECT_EQ((*synced)->revision(), "0-00000abc");

  pb::Bundle bundle = MakeBundle("shop", "web", "1");
  bundle.set_latest_tag("v2");
  cache.Upsert(bundle);
  cache.Remove({"shop", "web"});
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> added = session.Next(absl::Now());
  ASSERT_TRUE(added.ok() && added->has_value());
  EXPECT_EQ((*added)->revision(), "1-00000abc");
  EXPECT_EQ((*added)->bundle().latest_tag(), "v2");
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> deleted = session.Next(absl::Now());
  ASSERT_TRUE(deleted.ok() && deleted->has_value());
  EXPECT_EQ((*deleted)->type(), pb::WATCH_EVENT_TYPE_DELETED);
  EXPECT_EQ((*deleted)->revision(), "2-00000abc");
  EXPECT_EQ((*deleted)->bundle().name(), "web");
  EXPECT_TRUE((*deleted)->bundle().latest_tag().empty());
}

TEST(WatchSessionTest, FiltersByNamespaceAndLabelsAndFollowsRelabelling) {
  BundleCache cache({.change_log_capacity = 64, .epoch = 1});
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

TEST(WatchSessionTest, HeartbeatsWhileNothingChanges) {
  BundleCache cache({.change_log_capacity = 64, .epoch = 1});
  cache.Upsert(MakeBundle("shop", "web", "1"));
  WatchSession session(cache, All(), std::nullopt, {.heartbeat_interval = absl::Milliseconds(40)});
  EXPECT_THAT(Drain(session, absl::Milliseconds(5)), ElementsAre("ADDED shop/web", "SYNCED"));

  // Before the interval: nothing, and Next returns at its deadline.
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> quiet = session.Next(absl::Now() + absl::Milliseconds(5));
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->has_value());
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> beat = session.Next(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(beat.ok() && beat->has_value());
  EXPECT_EQ((*beat)->type(), pb::WATCH_EVENT_TYPE_HEARTBEAT);
  EXPECT_EQ((*beat)->revision(), "1-00000001");
}

TEST(WatchSessionTest, ResumesWithOnlyTheMissedChanges) {
  BundleCache cache({.change_log_capacity = 64, .epoch = 1});
  cache.Upsert(MakeBundle("shop", "web", "1"));  // revision 1
  cache.Upsert(MakeBundle("shop", "db", "1"));   // revision 2
  cache.Upsert(MakeBundle("shop", "web", "2"));  // revision 3
  WatchSession session(cache, All(), Revision{1, 1}, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("SYNCED", "ADDED shop/db", "MODIFIED shop/web"));
  EXPECT_EQ(session.resyncs(), 0);
}

TEST(WatchSessionTest, ARevisionFromAnotherProcessGetsResyncAndASnapshot) {
  BundleCache cache({.change_log_capacity = 64, .epoch = 1});
  cache.Upsert(MakeBundle("shop", "web", "1"));
  WatchSession session(cache, All(), Revision{/*epoch=*/2, 1}, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("RESYNC", "ADDED shop/web", "SYNCED"));
  EXPECT_EQ(session.resyncs(), 1);
}

TEST(WatchSessionTest, ASlowWatcherIsResyncedWithoutHoldingUpTheWriter) {
  BundleCache cache({.change_log_capacity = 4, .epoch = 1});
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
  BundleCache cache({.change_log_capacity = 4, .epoch = 1});
  WatchSession session(cache, All(), std::nullopt, SlowHeartbeats());
  EXPECT_THAT(Drain(session), ElementsAre("SYNCED"));
  std::thread closer([&cache] {
    absl::SleepFor(absl::Milliseconds(20));
    cache.Close();
  });
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> ended = session.Next(absl::Now() + absl::Seconds(10));
  closer.join();
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnavailable);
}

// Access re-checks, against the fake reviewer with nothing cached (the decisions'
// caching is access_control_test.cc's).
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
        WatchSession::Options{.heartbeat_interval = absl::Hours(1),
                              .recheck_interval = interval,
                              .on_recheck = [this](const absl::Status& outcome) { outcomes_.push_back(outcome.code()); }});
  }

  BundleCache cache_{{.change_log_capacity = 64, .epoch = 1}};
  std::shared_ptr<FakeReviewer> reviewer_ = std::make_shared<FakeReviewer>();
  Authorizer authorizer_{reviewer_, {.cache_ttl = absl::ZeroDuration()}};
  std::vector<absl::StatusCode> outcomes_;
};

TEST_F(WatchRecheckTest, ChecksAgainEveryIntervalWhileAccessHolds) {
  std::unique_ptr<WatchSession> session = Watch("good", absl::Milliseconds(20));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session, absl::Milliseconds(110)), ElementsAre("ADDED shop/web", "SYNCED"));
  EXPECT_GE(outcomes_.size(), 3u);
  EXPECT_THAT(outcomes_, ::testing::Each(absl::StatusCode::kOk));
}

TEST_F(WatchRecheckTest, ARevokedGrantEndsTheWatchBeforeAnythingElseIsSent) {
  std::unique_ptr<WatchSession> session = Watch("good", absl::Milliseconds(50));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session, absl::Milliseconds(1)), ElementsAre("ADDED shop/web", "SYNCED"));
  reviewer_->grants.erase(std::make_tuple("alice", "list", "shop"));
  absl::SleepFor(absl::Milliseconds(60));
  cache_.Upsert(MakeBundle("shop", "web", "2"));  // must not reach the client any more
  const absl::Time start = absl::Now();
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> ended = session->Next(absl::Now() + absl::Seconds(5));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(ended.status().message(), ::testing::HasSubstr("in the namespace \"shop\" any more"));
  EXPECT_THAT(outcomes_, ElementsAre(absl::StatusCode::kPermissionDenied));
}

TEST_F(WatchRecheckTest, AnIdleWatchEndsWithinTheIntervalOfARevokedToken) {
  std::unique_ptr<WatchSession> session = Watch("good", absl::Milliseconds(50));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session, absl::Milliseconds(1)), ElementsAre("ADDED shop/web", "SYNCED"));
  reviewer_->users.clear();
  const absl::Time start = absl::Now();
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> ended = session->Next(absl::Now() + absl::Seconds(5));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(WatchRecheckTest, EndsWhenTheTokenExpiresNotAtTheNextInterval) {
  // JWT times are whole seconds: start just after one, so the token has a second to live.
  absl::SleepFor(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1) - absl::Now());
  const absl::Time expiry = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1);
  const std::string token =
      "e30." + absl::WebSafeBase64Escape("{\"exp\":" + std::to_string(absl::ToUnixSeconds(expiry)) + "}") + ".sig";
  reviewer_->users.emplace(token, reviewer_->users.at("good"));
  std::unique_ptr<WatchSession> session = Watch(token, absl::Hours(1));
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Drain(*session, absl::Milliseconds(1)), ElementsAre("ADDED shop/web", "SYNCED"));
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> ended = session->Next(absl::Now() + absl::Seconds(5));
  EXPECT_GE(absl::Now(), expiry);
  EXPECT_LT(absl::Now(), expiry + absl::Milliseconds(500));
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(ended.status().message(), ::testing::HasSubstr("expired"));
}

TEST(WatchSessionTest, WithoutAuthNothingIsRechecked) {
  BundleCache cache({.change_log_capacity = 4, .epoch = 1});
  int rechecks = 0;
  WatchSession session(cache, All(), std::nullopt,
                       {.heartbeat_interval = absl::Hours(1),
                        .recheck_interval = absl::Milliseconds(1),
                        .on_recheck = [&rechecks](const absl::Status&) { ++rechecks; }});
  EXPECT_THAT(Drain(session, absl::Milliseconds(20)), ElementsAre("SYNCED"));
  EXPECT_EQ(rechecks, 0);
}

}  // namespace
}  // namespace werf::gateway
