// werf::kube::EventRecorder against the test bed: core/v1 Events about a real object, repeats
// aggregated into one Event whose count rises, and the per-object spam limit.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/kube/event_recorder.h"
#include "libs/kube/rest_client.h"
#include "test/integration/kube/kube_test_support.h"

namespace werf::kube_test {
namespace {

using kube::resources::kConfigMaps;
using kube::resources::kEvents;

class EventRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(namespace_.ok()) << namespace_.status();
    ASSERT_OK_AND_ASSIGN(client_, AdminClient());
    ASSERT_OK_AND_ASSIGN(subject_, client_->Create(kConfigMaps, ns(), ConfigMap("subject", {{"v", "1"}})));
  }
  const std::string& ns() const { return namespace_.name(); }

  // reason -> the Event about the subject.
  absl::StatusOr<std::map<std::string, nlohmann::json>> EventsAboutSubject() {
    absl::StatusOr<kube::ListResult> listed =
        client_->List(kEvents, ns(), {.field_selector = "involvedObject.name=subject"});
    if (!listed.ok()) return listed.status();
    std::map<std::string, nlohmann::json> by_reason;
    for (nlohmann::json& event : listed->items) {
      const std::string reason = event.value("reason", "");
      if (by_reason.count(reason)) return absl::InternalError(absl::StrCat("two Events with reason ", reason));
      by_reason[reason] = std::move(event);
    }
    return by_reason;
  }

  ScopedNamespace namespace_{"kube-events"};
  std::shared_ptr<kube::RestClient> client_;
  nlohmann::json subject_;
};

TEST_F(EventRecorderTest, RepeatedEventsAggregateIntoOneEventWithACount) {
  {
    kube::EventRecorder recorder(client_, {.component = "werf-kube-test", .host = "test-host"});
    for (int i = 0; i < 3; ++i) recorder.Record(subject_, "Normal", "Synced", "synced revision 1");
    recorder.Record(subject_, "Warning", "SyncFailed", "the registry answered 503");
    recorder.Flush();
    EXPECT_EQ(recorder.dropped(), 0);
  }
  ASSERT_OK_AND_ASSIGN(const auto events, EventsAboutSubject());
  ASSERT_EQ(events.size(), 2u);

  const nlohmann::json& synced = events.at("Synced");
  EXPECT_EQ(synced["count"], 3);
  EXPECT_EQ(synced["type"], "Normal");
  EXPECT_EQ(synced["message"], "synced revision 1");
  EXPECT_EQ(synced["source"]["component"], "werf-kube-test");
  EXPECT_EQ(synced["involvedObject"]["kind"], "ConfigMap");
  EXPECT_EQ(synced["involvedObject"]["uid"], subject_["metadata"]["uid"]);
  EXPECT_EQ(synced["involvedObject"]["namespace"], ns());
  EXPECT_LE(synced.value("firstTimestamp", ""), synced.value("lastTimestamp", ""));

  const nlohmann::json& failed = events.at("SyncFailed");
  EXPECT_EQ(failed["count"], 1);
  EXPECT_EQ(failed["type"], "Warning");
}

TEST_F(EventRecorderTest, ObjectThatEmitsTooManyEventsIsLimited) {
  kube::EventRecorder recorder(client_,
                               {.component = "werf-kube-test", .host = "test-host", .burst_per_object = 2});
  for (int i = 0; i < 5; ++i) recorder.Record(subject_, "Normal", absl::StrCat("Step", i), "step");
  recorder.Flush();
  EXPECT_EQ(recorder.dropped(), 3);
  ASSERT_OK_AND_ASSIGN(const auto events, EventsAboutSubject());
  EXPECT_EQ(events.size(), 2u);
  EXPECT_TRUE(events.count("Step0") && events.count("Step1"));
}

}  // namespace
}  // namespace werf::kube_test
