// BundleFilter: namespace, phase and labels all have to match, the caller's access is
// checked without blocking (Matches) or decided for a new namespace (MatchesDecidingAccess),
// and the fingerprint a page token is bound to covers the filters but not the access.
#include "services/gateway/bundle_filter.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "services/gateway/fake_access_reviewer.h"

namespace werf::gateway {
namespace {

using status_testing::Message;
using ::testing::StartsWith;

pb::Bundle Bundle(const std::string& ns, pb::BundlePhase phase, std::map<std::string, std::string> labels = {}) {
  pb::Bundle bundle;
  bundle.set_namespace_(ns);
  bundle.set_name("web");
  bundle.set_phase(phase);
  for (const auto& [key, value] : labels) (*bundle.mutable_labels())[key] = value;
  return bundle;
}

kube::LabelSelector Selector(const std::string& text) {
  absl::StatusOr<kube::LabelSelector> selector = kube::LabelSelector::Parse(text);
  EXPECT_TRUE(selector.ok()) << selector.status();
  return selector.ok() ? *std::move(selector) : kube::LabelSelector();
}

TEST(BundleFilterTest, AnEmptyFilterMatchesEveryBundle) {
  const BundleFilter filter;
  EXPECT_TRUE(filter.Matches(Bundle("shop", pb::BUNDLE_PHASE_SYNCED)));
  EXPECT_TRUE(filter.Matches(Bundle("blog", pb::BUNDLE_PHASE_UNSPECIFIED)));
  EXPECT_TRUE(filter.MatchesDecidingAccess(Bundle("blog", pb::BUNDLE_PHASE_FAILED)));
}

TEST(BundleFilterTest, EveryConditionMustHold) {
  const BundleFilter filter{.ns = "shop", .phase = pb::BUNDLE_PHASE_FAILED, .selector = Selector("team=a"),
                            .access = nullptr};
  struct Case {
    const char* what;
    pb::Bundle bundle;
    bool matches;
  };
  const Case cases[] = {
      {"all hold", Bundle("shop", pb::BUNDLE_PHASE_FAILED, {{"team", "a"}, {"tier", "web"}}), true},
      {"other namespace", Bundle("blog", pb::BUNDLE_PHASE_FAILED, {{"team", "a"}}), false},
      {"other phase", Bundle("shop", pb::BUNDLE_PHASE_SYNCED, {{"team", "a"}}), false},
      {"other label value", Bundle("shop", pb::BUNDLE_PHASE_FAILED, {{"team", "b"}}), false},
      {"no labels", Bundle("shop", pb::BUNDLE_PHASE_FAILED), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(filter.Matches(c.bundle), c.matches) << c.what;
    EXPECT_EQ(filter.MatchesDecidingAccess(c.bundle), c.matches) << c.what;
  }
}

class BundleFilterAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reviewer_->grants.emplace("alice", "list", "shop");
    absl::StatusOr<Caller> caller = authorizer_.Authenticate("Bearer good");
    ASSERT_TRUE(caller.ok()) << caller.status();
    absl::StatusOr<std::shared_ptr<NamespaceAccess>> access =
        authorizer_.ScopeNamespaces(*caller, {"list"}, "", {"shop", "blog"});
    ASSERT_TRUE(access.ok()) << access.status();
    filter_.access = *access;
  }

  std::shared_ptr<FakeReviewer> reviewer_ = std::make_shared<FakeReviewer>();
  Authorizer authorizer_{reviewer_, {.cache_ttl = absl::ZeroDuration()}};
  BundleFilter filter_;
};

TEST_F(BundleFilterAccessTest, MatchesOnlyNamespacesDecidedAllowedAndNeverAsks) {
  const int reviews = reviewer_->access_reviews;
  EXPECT_TRUE(filter_.Matches(Bundle("shop", pb::BUNDLE_PHASE_SYNCED)));
  EXPECT_FALSE(filter_.Matches(Bundle("blog", pb::BUNDLE_PHASE_SYNCED)));
  reviewer_->grants.emplace("alice", "list", "new");
  EXPECT_FALSE(filter_.Matches(Bundle("new", pb::BUNDLE_PHASE_SYNCED))) << "undecided is not allowed";
  EXPECT_EQ(reviewer_->access_reviews, reviews);
}

TEST_F(BundleFilterAccessTest, DecidesANamespaceMetForTheFirstTimeOnce) {
  reviewer_->grants.emplace("alice", "list", "new");
  const int reviews = reviewer_->access_reviews;
  EXPECT_TRUE(filter_.MatchesDecidingAccess(Bundle("new", pb::BUNDLE_PHASE_SYNCED)));
  EXPECT_EQ(reviewer_->access_reviews, reviews + 1);
  EXPECT_TRUE(filter_.Matches(Bundle("new", pb::BUNDLE_PHASE_SYNCED))) << "now decided";
  EXPECT_FALSE(filter_.MatchesDecidingAccess(Bundle("denied", pb::BUNDLE_PHASE_SYNCED)));
  EXPECT_FALSE(filter_.MatchesDecidingAccess(Bundle("blog", pb::BUNDLE_PHASE_SYNCED)));
}

TEST_F(BundleFilterAccessTest, AccessIsNotDecidedForABundleTheFiltersExclude) {
  reviewer_->grants.emplace("alice", "list", "new");
  filter_.phase = pb::BUNDLE_PHASE_FAILED;
  const int reviews = reviewer_->access_reviews;
  EXPECT_FALSE(filter_.MatchesDecidingAccess(Bundle("new", pb::BUNDLE_PHASE_SYNCED)));
  EXPECT_EQ(reviewer_->access_reviews, reviews);
}

TEST(BundleFilterFingerprintTest, CoversNamespacePhaseAndSelectorButNotAccess) {
  const BundleFilter base{.ns = "shop", .phase = pb::BUNDLE_PHASE_SYNCED, .selector = Selector("team=a"),
                          .access = nullptr};
  EXPECT_EQ(base.Fingerprint(), base.Fingerprint());
  BundleFilter with_access = base;
  with_access.access = std::make_shared<NamespaceAccess>();
  EXPECT_EQ(with_access.Fingerprint(), base.Fingerprint());

  BundleFilter other_ns = base;
  other_ns.ns = "blog";
  BundleFilter other_phase = base;
  other_phase.phase = pb::BUNDLE_PHASE_FAILED;
  BundleFilter other_selector = base;
  other_selector.selector = Selector("team=b");
  BundleFilter all_namespaces = base;
  all_namespaces.ns = "";
  for (const BundleFilter* other : {&other_ns, &other_phase, &other_selector, &all_namespaces}) {
    EXPECT_NE(other->Fingerprint(), base.Fingerprint()) << other->ns << " " << other->selector.ToString();
  }
}

TEST(ParseSelectorFieldTest, ParsesOrNamesTheField) {
  ASSERT_OK_AND_ASSIGN(const kube::LabelSelector selector, ParseSelectorField("label_selector", "team in (a,b)"));
  EXPECT_TRUE(selector.Matches(Bundle("shop", pb::BUNDLE_PHASE_SYNCED, {{"team", "b"}}).labels()));
  EXPECT_FALSE(selector.Matches(Bundle("shop", pb::BUNDLE_PHASE_SYNCED, {{"team", "c"}}).labels()));

  const absl::StatusOr<kube::LabelSelector> bad = ParseSelectorField("label_selector", "team in (a");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
  EXPECT_THAT(Message(bad.status()), StartsWith("label_selector: "));
}

}  // namespace
}  // namespace werf::gateway
