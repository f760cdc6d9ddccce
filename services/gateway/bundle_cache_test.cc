#include "services/gateway/bundle_cache.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::gateway {
namespace {

using ::testing::ElementsAre;

pb::Bundle MakeBundle(const std::string& ns, const std::string& name, const std::string& rv,
                      pb::BundlePhase phase = pb::BUNDLE_PHASE_SYNCED, bool suspend = false) {
  pb::Bundle bundle;
  bundle.set_namespace_(ns);
  bundle.set_name(name);
  bundle.set_resource_version(rv);
  bundle.set_phase(phase);
  bundle.mutable_spec()->set_suspend(suspend);
  return bundle;
}

std::vector<std::string> Keys(const std::vector<BundlePtr>& bundles) {
  std::vector<std::string> keys;
  for (const BundlePtr& b : bundles) keys.push_back(b->namespace_() + "/" + b->name());
  return keys;
}

const auto kAll = [](const pb::Bundle&) { return true; };

TEST(BundleCacheTest, OrdersByNamespaceThenName) {
  BundleCache cache({});
  // As strings "a-b/x" < "a/x"; by namespace, then name, "a" comes first.
  cache.Upsert(MakeBundle("a-b", "x", "1"));
  cache.Upsert(MakeBundle("a", "z", "1"));
  cache.Upsert(MakeBundle("a", "x", "1"));
  cache.Upsert(MakeBundle("b", "a", "1"));
  EXPECT_THAT(Keys(cache.List("", std::nullopt, 10, kAll).bundles),
              ElementsAre("a/x", "a/z", "a-b/x", "b/a"));
  EXPECT_THAT(Keys(cache.List("a", std::nullopt, 10, kAll).bundles), ElementsAre("a/x", "a/z"));
  EXPECT_THAT(cache.Namespaces(), ElementsAre("a", "a-b", "b"));
  EXPECT_EQ(cache.size(), 4u);
}

TEST(BundleCacheTest, SkipsRedeliveriesOfTheSameResourceVersion) {
  BundleCache cache({});
  EXPECT_TRUE(cache.Upsert(MakeBundle("a", "x", "1")));
  EXPECT_FALSE(cache.Upsert(MakeBundle("a", "x", "1")));
  EXPECT_TRUE(cache.Upsert(MakeBundle("a", "x", "2", pb::BUNDLE_PHASE_FAILED)));
  EXPECT_EQ(cache.changes().last_revision(), 2u);
  EXPECT_EQ(cache.Get({"a", "x"})->phase(), pb::BUNDLE_PHASE_FAILED);
  EXPECT_TRUE(cache.Remove({"a", "x"}));
  EXPECT_FALSE(cache.Remove({"a", "x"}));
  EXPECT_EQ(cache.Get({"a", "x"}), nullptr);
  EXPECT_EQ(cache.changes().last_revision(), 3u);
}

TEST(BundleCacheTest, PagesAfterAKeyAndCountsEveryMatch) {
  BundleCache cache({});
  for (const char* name : {"a", "b", "c", "d", "e"}) cache.Upsert(MakeBundle("ns", name, "1"));
  cache.Upsert(MakeBundle("ns", "f", "1", pb::BUNDLE_PHASE_FAILED));
  const auto synced = [](const pb::Bundle& b) { return b.phase() == pb::BUNDLE_PHASE_SYNCED; };

  BundleCache::Page first = cache.List("ns", std::nullopt, 2, synced);
  EXPECT_THAT(Keys(first.bundles), ElementsAre("ns/a", "ns/b"));
  EXPECT_TRUE(first.more);
  EXPECT_EQ(first.total, 5u);

  BundleCache::Page last = cache.List("ns", BundleKey{"ns", "c"}, 2, synced);
  EXPECT_THAT(Keys(last.bundles), ElementsAre("ns/d", "ns/e"));
  EXPECT_FALSE(last.more);
  EXPECT_EQ(last.total, 5u);

  // The key a page ended with may be gone by the next request: paging goes on after it.
  cache.Remove({"ns", "b"});
  EXPECT_THAT(Keys(cache.List("ns", BundleKey{"ns", "b"}, 2, synced).bundles), ElementsAre("ns/c", "ns/d"));
  EXPECT_TRUE(cache.List("other", std::nullopt, 2, kAll).bundles.empty());
}

TEST(BundleCacheTest, UnfilteredPagesSeekToTheirStart) {
  BundleCache cache({});
  for (const char* ns : {"a", "b", "c"}) {
    for (const char* name : {"x", "y", "z"}) cache.Upsert(MakeBundle(ns, name, "1"));
  }
  BundleCache::Page page = cache.List("b", std::nullopt, 2);
  EXPECT_THAT(Keys(page.bundles), ElementsAre("b/x", "b/y"));
  EXPECT_TRUE(page.more);
  EXPECT_EQ(page.total, 3u);
  page = cache.List("b", BundleKey{"b", "y"}, 2);
  EXPECT_THAT(Keys(page.bundles), ElementsAre("b/z"));
  EXPECT_FALSE(page.more);
  // Keys outside the namespace, as a token of another query would carry.
  EXPECT_THAT(Keys(cache.List("b", BundleKey{"a", "z"}, 1).bundles), ElementsAre("b/x"));
  EXPECT_TRUE(cache.List("b", BundleKey{"c", "a"}, 5).bundles.empty());
  page = cache.List("", BundleKey{"a", "y"}, 3);
  EXPECT_THAT(Keys(page.bundles), ElementsAre("a/z", "b/x", "b/y"));
  EXPECT_EQ(page.total, 9u);
  EXPECT_EQ(cache.List("none", std::nullopt, 3).total, 0u);
  // The same answers as the filtered scan with a matcher that takes everything.
  EXPECT_THAT(Keys(cache.List("", BundleKey{"b", "z"}, 10).bundles),
              Keys(cache.List("", BundleKey{"b", "z"}, 10, kAll).bundles));
}

TEST(BundleCacheTest, KeepsPhaseCountsPerNamespace) {
  BundleCache cache({});
  cache.Upsert(MakeBundle("a", "1", "1", pb::BUNDLE_PHASE_SYNCED));
  cache.Upsert(MakeBundle("a", "2", "1", pb::BUNDLE_PHASE_FAILED, /*suspend=*/true));
  cache.Upsert(MakeBundle("a", "3", "1", pb::BUNDLE_PHASE_UNSPECIFIED));
  cache.Upsert(MakeBundle("b", "1", "1", pb::BUNDLE_PHASE_SYNCING));

  std::map<std::string, pb::PhaseCounts> counts = cache.CountsByNamespace();
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts["a"].synced(), 1);
  EXPECT_EQ(counts["a"].failed(), 1);
  EXPECT_EQ(counts["a"].unknown(), 1);
  EXPECT_EQ(counts["a"].suspended(), 1);
  EXPECT_EQ(counts["a"].total(), 3);
  EXPECT_EQ(counts["b"].syncing(), 1);

  cache.Upsert(MakeBundle("a", "2", "2", pb::BUNDLE_PHASE_SYNCED));  // recovers, resumed
  cache.Remove({"b", "1"});
  counts = cache.CountsByNamespace();
  EXPECT_EQ(counts.size(), 1u) << "a namespace without bundles leaves the summary";
  EXPECT_EQ(counts["a"].synced(), 2);
  EXPECT_EQ(counts["a"].failed(), 0);
  EXPECT_EQ(counts["a"].suspended(), 0);
}

TEST(BundleCacheTest, SnapshotsMatchARevisionAndTheLogHasWhatFollows) {
  BundleCache cache({.change_log_capacity = 16, .epoch = 5});
  cache.Upsert(MakeBundle("a", "x", "1"));
  cache.Upsert(MakeBundle("b", "y", "1"));
  BundleCache::Snapshot snapshot = cache.TakeSnapshot("", kAll);
  EXPECT_EQ(snapshot.revision, 2u);
  EXPECT_THAT(Keys(snapshot.bundles), ElementsAre("a/x", "b/y"));
  EXPECT_THAT(Keys(cache.TakeSnapshot("b", kAll).bundles), ElementsAre("b/y"));

  cache.Upsert(MakeBundle("a", "x", "2", pb::BUNDLE_PHASE_FAILED));
  absl::StatusOr<std::vector<BundleChange>> changes =
      cache.changes().ChangesSince(snapshot.revision, 10, cache.changes().clock().Now());
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].before->phase(), pb::BUNDLE_PHASE_SYNCED);
  EXPECT_EQ((*changes)[0].after->phase(), pb::BUNDLE_PHASE_FAILED);
}

}  // namespace
}  // namespace werf::gateway
