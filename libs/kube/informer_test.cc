// The informer against the fake API server: list, then watch from the list's
// resourceVersion; a 410 on the watch relists.
#include "libs/kube/informer.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::kube {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testing::FakeRestClient;

json ConfigMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "n"}}},
          {"data", {{"k", value}}}};
}

// What the handlers saw, as "add a", "update a v2", "delete b".
class Recorder {
 public:
  InformerHandlers Handlers() {
    return {.on_add = [this](const ObjectPtr& o) { Add(absl::StrCat("add ", Name(*o))); },
            .on_update =
                [this](const ObjectPtr&, const ObjectPtr& o) {
                  Add(absl::StrCat("update ", Name(*o), " ", (*o)["data"].value("k", "")));
                },
            .on_delete = [this](const ObjectPtr& o) { Add(absl::StrCat("delete ", Name(*o))); }};
  }
  // Waits until `count` events arrived (or 10 s) and returns them.
  std::vector<std::string> Await(size_t count) {
    absl::MutexLock lock(&mu_);
    want_ = count;
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](Recorder* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                               return self->seen_.size() >= self->want_;
                             },
                             this),
                         absl::Seconds(10));
    return seen_;
  }

 private:
  static std::string Name(const json& object) { return object["metadata"].value("name", ""); }
  void Add(std::string event) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(std::move(event));
  }

  absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
  size_t want_ ABSL_GUARDED_BY(mu_) = 0;
};

bool Eventually(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST(InformerTest, ListsThenDeliversWritesMadeAfterwards) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->Seed(resources::kConfigMaps, ConfigMap("a", "v1"));
  fake->Seed(resources::kConfigMaps, ConfigMap("b", "v1"));
  Informer informer(fake, {.resource = resources::kConfigMaps, .ns = "n", .list_page_size = 1});
  Recorder recorder;
  informer.AddHandlers(recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(10)));
  EXPECT_EQ(informer.store().List().size(), 2u);
  ASSERT_TRUE(Eventually([&] { return fake->open_watches() == 1; }));

  RestClient& api = *fake;
  json a = *api.Get(resources::kConfigMaps, "n", "a");
  a["data"]["k"] = "v2";
  ASSERT_TRUE(api.Update(resources::kConfigMaps, "n", a).ok());
  ASSERT_TRUE(api.Create(resources::kConfigMaps, "n", ConfigMap("c", "v1")).ok());
  ASSERT_TRUE(api.Delete(resources::kConfigMaps, "n", "b").ok());

  EXPECT_THAT(recorder.Await(5), ElementsAre("add a", "add b", "update a v2", "add c", "delete b"));
  // Caught up to the last write (set just after the handlers ran).
  EXPECT_TRUE(Eventually([&] { return informer.LastResourceVersion() == std::to_string(fake->resource_version()); }));
  EXPECT_EQ(informer.store().List().size(), 2u);
  informer.Stop();
  // Two pages of one item, then the watch.
  EXPECT_EQ(fake->requests(testing::Verb::kList).size(), 2u);
}

TEST(InformerTest, AnExpiredWatchRelistsAndReportsWhatVanishedMeanwhile) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->Seed(resources::kConfigMaps, ConfigMap("a", "v1"));
  // The first watch is refused, as when the list's resourceVersion was compacted away,
  // and "a" goes before it: only the relist can tell.
  fake->FailNext(testing::Verb::kWatch, testing::ApiError(410, "Expired"));
  Informer informer(fake, {.resource = resources::kConfigMaps, .ns = "n"});
  Recorder recorder;
  informer.AddHandlers(recorder.Handlers());
  std::atomic<bool> deleted{false};
  informer.AddHandlers({.on_add = [&](const ObjectPtr&) {
    if (!deleted.exchange(true)) {
      EXPECT_TRUE(static_cast<RestClient&>(*fake).Delete(resources::kConfigMaps, "n", "a").ok());
    }
  }});
  informer.Start();
  EXPECT_THAT(recorder.Await(2), ElementsAre("add a", "delete a"));
  EXPECT_EQ(informer.list_count(), 2);
  EXPECT_TRUE(informer.store().List().empty());
  informer.Stop();
}

}  // namespace
}  // namespace werf::kube
