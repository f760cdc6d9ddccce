// werf::kube::Informer against the test bed: event order, convergence across a kube-apiserver
// restart, relisting after 410 Gone (etcd compaction), and watch bookmarks.
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/api_error.h"
#include "libs/kube/informer.h"
#include "test/integration/kube/kube_test_support.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::kube_test {
namespace {

using kube::resources::kConfigMaps;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr char kSetLabel[] = "informer-test/set";

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(namespace_.ok()) << namespace_.status();
    ASSERT_OK_AND_ASSIGN(client_, AdminClient());
  }
  const std::string& ns() const { return namespace_.name(); }

  // A ConfigMap informer on this test's namespace, restricted to the set's label.
  std::unique_ptr<kube::Informer> NewInformer(absl::Duration min_watch_timeout = absl::Minutes(5)) {
    return std::make_unique<kube::Informer>(
        client_, kube::InformerOptions{.resource = kConfigMaps,
                                       .ns = ns(),
                                       .label_selector = absl::StrCat(kSetLabel, "=member"),
                                       .min_watch_timeout = min_watch_timeout});
  }
  nlohmann::json Member(absl::string_view name, absl::string_view v) {
    return ConfigMap(name, {{"v", std::string(v)}}, {{kSetLabel, "member"}});
  }
  absl::Status CreateMember(absl::string_view name, absl::string_view v) {
    return client_->Create(kConfigMaps, ns(), Member(name, v)).status();
  }
  absl::Status SetV(absl::string_view name, absl::string_view v) {
    return client_->Patch(kConfigMaps, ns(), name, kube::PatchType::kMerge, {{"data", {{"v", std::string(v)}}}})
        .status();
  }
  absl::Status Remove(absl::string_view name) { return client_->Delete(kConfigMaps, ns(), name); }

  ScopedNamespace namespace_{"kube-informer"};
  std::shared_ptr<kube::RestClient> client_;
};

TEST_F(InformerTest, DeliversAddUpdateDeleteInOrder) {
  ASSERT_OK(CreateMember("initial", "0"));
  // Not in the set: never reported.
  ASSERT_OK(client_->Create(kConfigMaps, ns(), ConfigMap("outsider", {{"v", "0"}})).status());

  InformerRecorder recorder;
  std::unique_ptr<kube::Informer> informer = NewInformer();
  informer->AddHandlers(recorder.Handlers());
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  EXPECT_EQ(StoreContents(*informer), (std::map<std::string, std::string>{{"initial", "0"}}));

  ASSERT_OK(CreateMember("a", "1"));
  ASSERT_OK(CreateMember("b", "1"));
  ASSERT_OK(SetV("a", "2"));
  ASSERT_OK(Remove("b"));
  ASSERT_OK(SetV("outsider", "1"));
  ASSERT_OK(CreateMember("c", "1"));
  ASSERT_OK(SetV("a", "3"));
  // Leaving the label selector is a delete for this informer; joining it an add.
  ASSERT_OK(client_->Patch(kConfigMaps, ns(), "c", kube::PatchType::kMerge,
                           {{"metadata", {{"labels", {{kSetLabel, nullptr}}}}}})
                .status());
  ASSERT_OK(client_->Patch(kConfigMaps, ns(), "outsider", kube::PatchType::kMerge,
                           {{"metadata", {{"labels", {{kSetLabel, "member"}}}}}})
                .status());
  ASSERT_OK(Remove("a"));
  ASSERT_OK(Remove("initial"));

  const std::vector<std::string> expected = {
      "add initial v=0",  // from the initial list
      "add a v=1",          "add b v=1",           "update a v=1->v=2", "delete b v=1",
      "add c v=1",          "update a v=2->v=3",   "delete c v=1",      "add outsider v=1",
      "delete a v=3",       "delete initial v=0",
  };
  ASSERT_OK(recorder.WaitForCount(expected.size(), absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(500));  // nothing else may arrive
  EXPECT_THAT(recorder.Lines(), ElementsAreArray(expected));
  EXPECT_EQ(StoreContents(*informer), (std::map<std::string, std::string>{{"outsider", "1"}}));
  EXPECT_EQ(informer->list_count(), 1);
  ASSERT_EQ(informer->store().ListByLabel(kSetLabel, "member").size(), 1u);
}

TEST_F(InformerTest, RelistsAfterCompactionAndReportsWhatItMissed) {
  // The test bed serves ConfigMaps from etcd (--watch-cache-sizes=configmaps#0) for this test.
  if (TestbedWatchCacheEnabled("configmaps")) {
    GTEST_SKIP() << "the test bed's kube-apiserver serves ConfigMaps from its watch cache: watches are served "
                    "from the cache's window, so an etcd compaction does not make a re-watch fail with 410 Gone "
                    "(see test/integration/testbed/README.md, \"Watch cache\")";
  }
  for (absl::string_view name : {"gate", "victim", "keeper"}) ASSERT_OK(CreateMember(name, "1"));

  // The handler blocks the informer's only thread on the "gate" update, so that the informer
  // is not watching while the test deletes, creates, updates and compacts.
  absl::Notification blocked;
  absl::Notification release;
  kube::InformerHandlers gate;
  gate.on_update = [&](const kube::ObjectPtr&, const kube::ObjectPtr& object) {
    if (MetadataString(*object, "name") == "gate" && DataValue(*object, "block") == "yes" &&
        !blocked.HasBeenNotified()) {
      blocked.Notify();
      release.WaitForNotification();
    }
  };
  InformerRecorder recorder;
  // Short watches (timeoutSeconds 2 or 3): the server ends the blocked informer's watch soon.
  std::unique_ptr<kube::Informer> informer = NewInformer(absl::Seconds(2));
  // Declared after the informer, so it unblocks the handler before the informer is stopped.
  const absl::Cleanup unblock = [&] {
    if (!release.HasBeenNotified()) release.Notify();
  };
  informer->AddHandlers(recorder.Handlers());
  informer->AddHandlers(gate);
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  ASSERT_EQ(informer->list_count(), 1);

  ASSERT_OK(client_->Patch(kConfigMaps, ns(), "gate", kube::PatchType::kMerge, {{"data", {{"block", "yes"}}}})
                .status());
  ASSERT_TRUE(blocked.WaitForNotificationWithTimeout(absl::Seconds(30)));
  const std::string stuck_at = informer->LastResourceVersion();
  // Longer than the longest watch (3 s): the server has ended the watch the informer was on.
  absl::SleepFor(absl::Seconds(5));

  ASSERT_OK(Remove("victim"));
  ASSERT_OK(CreateMember("newcomer", "1"));
  ASSERT_OK(SetV("keeper", "2"));
  ASSERT_OK_AND_ASSIGN(const int64_t compacted_at, testbed::CompactEtcd());
  ASSERT_LT(ResourceVersionNumber(stuck_at) + 1, compacted_at);
  release.Notify();

  // The re-watch from `stuck_at` gets 410 Gone; the informer relists and reports the difference.
  ASSERT_OK(WaitForStore(*informer, {{"gate", "1"}, {"keeper", "2"}, {"newcomer", "1"}}, absl::Seconds(60)));
  EXPECT_GE(informer->list_count(), 2);
  EXPECT_GT(ResourceVersionNumber(informer->LastResourceVersion()), ResourceVersionNumber(stuck_at));
  EXPECT_THAT(recorder.LinesFor("victim"), ElementsAre("add victim v=1", "delete victim v=1"));
  EXPECT_THAT(recorder.LinesFor("newcomer"), ElementsAre("add newcomer v=1"));
  EXPECT_THAT(recorder.LinesFor("keeper"), ElementsAre("add keeper v=1", "update keeper v=1->v=2"));

  // And it keeps watching from the relist on.
  ASSERT_OK(SetV("keeper", "3"));
  ASSERT_OK(WaitForStore(*informer, {{"gate", "1"}, {"keeper", "3"}, {"newcomer", "1"}}, absl::Seconds(30)));
}

TEST_F(InformerTest, BookmarksAdvanceTheResourceVersion) {
  // Widgets (a CRD), because the test bed serves ConfigMaps without the watch cache.
  if (!TestbedWatchCacheEnabled("widgets.test.werf.io")) {
    GTEST_SKIP() << "the test bed's kube-apiserver runs with --watch-cache=false (WERF_TESTBED_WATCH_CACHE=false), "
                    "and only the watch cache sends BOOKMARK events";
  }
  ASSERT_OK(EnsureWidgetCrd(*client_));
  ASSERT_OK(client_->Create(kWidgets, ns(), Widget("watched", {{"v", "1"}}, {{kSetLabel, "member"}})).status());
  InformerRecorder recorder;
  // Watches of 5 to 10 s; the watch cache sends a bookmark 2 s before a watch's timeout.
  auto informer = std::make_unique<kube::Informer>(
      client_, kube::InformerOptions{.resource = kWidgets,
                                     .ns = ns(),
                                     .label_selector = absl::StrCat(kSetLabel, "=member"),
                                     .min_watch_timeout = absl::Seconds(5)});
  informer->AddHandlers(recorder.Handlers());
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  const std::string synced_at = informer->LastResourceVersion();

  // Changes the informer does not select move the cache's resourceVersion on; only a bookmark
  // can tell the informer about it.
  ScopedNamespace elsewhere("kube-bookmark");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  ASSERT_OK_AND_ASSIGN(const nlohmann::json unrelated,
                       client_->Create(kWidgets, elsewhere.name(), Widget("unrelated", {{"v", "1"}})));
  const int64_t unrelated_at = ResourceVersionNumber(MetadataString(unrelated, "resourceVersion"));
  ASSERT_GT(unrelated_at, ResourceVersionNumber(synced_at));

  ASSERT_OK(testbed::WaitFor(
      "a bookmark to advance the informer past the unrelated change",
      [&]() -> absl::StatusOr<bool> {
        return ResourceVersionNumber(informer->LastResourceVersion()) >= unrelated_at;
      },
      absl::Seconds(60)));
  // Bookmarks reach no handler.
  EXPECT_THAT(recorder.Lines(), ElementsAre("add watched v=1"));
  EXPECT_EQ(informer->list_count(), 1);
}

// Disruptive: kills the shared test bed's kube-apiserver. CTest runs it alone (RUN_SERIAL).
TEST_F(InformerTest, ApiserverRestartKeepsTheInformerConverging) {
  ASSERT_OK(CreateMember("before", "1"));
  ASSERT_OK(CreateMember("doomed", "1"));
  InformerRecorder recorder;
  std::unique_ptr<kube::Informer> informer = NewInformer();
  informer->AddHandlers(recorder.Handlers());
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  ASSERT_OK(WaitForStore(*informer, {{"before", "1"}, {"doomed", "1"}}, absl::Seconds(30)));

  ASSERT_OK_AND_ASSIGN(const pid_t apiserver, TestbedComponentPid("kube-apiserver"));
  ASSERT_EQ(kill(apiserver, SIGKILL), 0);
  ASSERT_OK(testbed::WaitFor(
      "the killed kube-apiserver to be gone",
      [&]() -> absl::StatusOr<bool> { return !TestbedComponentPid("kube-apiserver").ok(); }, absl::Seconds(10)));
  // Let the informer notice: its watch breaks and it backs off.
  absl::SleepFor(absl::Seconds(2));
  ASSERT_OK(TestbedUp());
  ASSERT_OK_AND_ASSIGN(const pid_t restarted, TestbedComponentPid("kube-apiserver"));
  EXPECT_NE(restarted, apiserver);

  // The same client object keeps working: its pooled connections died with the server.
  ASSERT_OK(testbed::WaitFor(
      "the restarted kube-apiserver to accept writes",
      [&]() -> absl::StatusOr<bool> {
        absl::Status created = CreateMember("after", "1");
        return created.ok() || kube::IsApiAlreadyExists(created) ? absl::StatusOr<bool>(true) : created;
      },
      absl::Seconds(60)));
  ASSERT_OK(SetV("before", "2"));
  ASSERT_OK(Remove("doomed"));
  ASSERT_OK(WaitForStore(*informer, {{"after", "1"}, {"before", "2"}}, absl::Seconds(90)));
  EXPECT_THAT(recorder.LinesFor("before"), ElementsAre("add before v=1", "update before v=1->v=2"));
  EXPECT_THAT(recorder.LinesFor("doomed"), ElementsAre("add doomed v=1", "delete doomed v=1"));
  EXPECT_THAT(recorder.LinesFor("after"), ElementsAre("add after v=1"));
}

TEST_F(InformerTest, TransformShapesWhatIsStoredAndDelivered) {
  ASSERT_OK(CreateMember("listed", "1"));
  // The default transform drops managedFields, which the API server always sets.
  std::unique_ptr<kube::Informer> plain = NewInformer();
  plain->Start();
  ASSERT_TRUE(plain->WaitForSync(absl::Seconds(30)));
  ASSERT_NE(plain->store().Get(absl::StrCat(ns(), "/listed")), nullptr);
  EXPECT_FALSE((*plain->store().Get(absl::StrCat(ns(), "/listed")))["metadata"].contains("managedFields"));
  plain->Stop();

  // A custom transform applies to listed and watched objects, and to what handlers see.
  kube::InformerOptions options{.resource = kConfigMaps,
                                .ns = ns(),
                                .label_selector = absl::StrCat(kSetLabel, "=member"),
                                .transform = [](nlohmann::json object) {
                                  const std::string v = object["data"].value("v", "");
                                  return nlohmann::json{{"metadata",
                                                         {{"name", object["metadata"]["name"]},
                                                          {"namespace", object["metadata"]["namespace"]}}},
                                                        {"length", v.size()}};
                                }};
  auto informer = std::make_unique<kube::Informer>(client_, options);
  absl::Mutex mu;
  std::vector<nlohmann::json> seen;
  informer->AddHandlers({.on_add = [&](const kube::ObjectPtr& o) {
                           absl::MutexLock lock(&mu);
                           seen.push_back(*o);
                         },
                         .on_update = [&](const kube::ObjectPtr&, const kube::ObjectPtr& o) {
                           absl::MutexLock lock(&mu);
                           seen.push_back(*o);
                         }});
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  ASSERT_OK(CreateMember("watched", "four"));
  ASSERT_OK(testbed::WaitFor("the watched object", [&]() -> absl::StatusOr<bool> {
    return informer->store().Get(absl::StrCat(ns(), "/watched")) != nullptr;
  }, absl::Seconds(30)));
  EXPECT_EQ(*informer->store().Get(absl::StrCat(ns(), "/listed")),
            nlohmann::json({{"metadata", {{"name", "listed"}, {"namespace", ns()}}}, {"length", 1}}));
  EXPECT_EQ((*informer->store().Get(absl::StrCat(ns(), "/watched")))["length"], 4);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 2u);
  for (const nlohmann::json& object : seen) EXPECT_FALSE(object.contains("data")) << object.dump();
}

// A store projection (the gateway's): handlers get the whole object on add and update,
// the store and a relist's deletions only its identity.
TEST_F(InformerTest, StoreProjectionKeepsOnlyTheIdentityWhileHandlersSeeEverything) {
  ASSERT_OK(CreateMember("listed", "1"));
  kube::InformerOptions options{.resource = kConfigMaps,
                                .ns = ns(),
                                .label_selector = absl::StrCat(kSetLabel, "=member"),
                                .store_projection = kube::IdentityOnly};
  auto informer = std::make_unique<kube::Informer>(client_, options);
  absl::Mutex mu;
  std::map<std::string, nlohmann::json> delivered;  // name -> last object a handler got
  std::vector<nlohmann::json> old_objects;
  informer->AddHandlers({.on_add =
                             [&](const kube::ObjectPtr& o) {
                               absl::MutexLock lock(&mu);
                               delivered[(*o)["metadata"]["name"]] = *o;
                             },
                         .on_update =
                             [&](const kube::ObjectPtr& old_object, const kube::ObjectPtr& o) {
                               absl::MutexLock lock(&mu);
                               delivered[(*o)["metadata"]["name"]] = *o;
                               old_objects.push_back(*old_object);
                             }});
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  ASSERT_OK(SetV("listed", "2"));
  ASSERT_OK(testbed::WaitFor("the update", [&]() -> absl::StatusOr<bool> {
    absl::MutexLock lock(&mu);
    return delivered.count("listed") && delivered["listed"]["data"].value("v", "") == "2";
  }, absl::Seconds(30)));

  absl::MutexLock lock(&mu);
  const kube::ObjectPtr stored = informer->store().Get(absl::StrCat(ns(), "/listed"));
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->size(), 1u) << stored->dump();
  EXPECT_EQ((*stored)["metadata"]["name"], "listed");
  EXPECT_EQ((*stored)["metadata"]["namespace"], ns());
  EXPECT_FALSE((*stored)["metadata"].value("uid", "").empty());
  EXPECT_EQ((*stored)["metadata"]["resourceVersion"], delivered["listed"]["metadata"]["resourceVersion"]);
  EXPECT_FALSE(stored->contains("data"));
  EXPECT_EQ(delivered["listed"]["data"]["v"], "2") << "handlers see the whole object";
  EXPECT_TRUE(delivered["listed"]["metadata"].contains("labels"));
  ASSERT_FALSE(old_objects.empty());
  EXPECT_FALSE(old_objects.back().contains("data")) << "the old object is the stored projection";
}

// metadata_only lists and watches PartialObjectMetadata: the server sends no data, for
// listed and for watched objects alike, and labels and annotations still arrive.
TEST_F(InformerTest, MetadataOnlyGetsNeitherDataNorSpecFromTheServer) {
  ASSERT_OK(CreateMember("listed", "1"));
  kube::InformerOptions options{.resource = kConfigMaps,
                                .ns = ns(),
                                .label_selector = absl::StrCat(kSetLabel, "=member"),
                                .metadata_only = true};
  auto informer = std::make_unique<kube::Informer>(client_, options);
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  ASSERT_OK(CreateMember("watched", "2"));
  ASSERT_OK(testbed::WaitFor("the watched object", [&]() -> absl::StatusOr<bool> {
    return informer->store().Get(absl::StrCat(ns(), "/watched")) != nullptr;
  }, absl::Seconds(30)));
  for (const char* name : {"listed", "watched"}) {
    const kube::ObjectPtr object = informer->store().Get(absl::StrCat(ns(), "/", name));
    ASSERT_NE(object, nullptr) << name;
    EXPECT_EQ(object->value("kind", ""), "PartialObjectMetadata") << object->dump();
    EXPECT_EQ(object->value("apiVersion", ""), "meta.k8s.io/v1") << object->dump();
    EXPECT_FALSE(object->contains("data")) << object->dump();
    EXPECT_EQ((*object)["metadata"]["labels"][kSetLabel], "member") << object->dump();
    EXPECT_FALSE((*object)["metadata"].value("resourceVersion", "").empty());
  }
}

}  // namespace
}  // namespace werf::kube_test
