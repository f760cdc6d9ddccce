// The event recorder against the fake API server: aggregation into one Event whose
// count rises, a fresh Event when the aggregated one is gone, the per-object budget.
#include "libs/kube/event_recorder.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::kube {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::SizeIs;
using ::werf::common::testing::FakeClock;
using testing::FakeRestClient;
using testing::Verb;

const json kBundle = {{"apiVersion", "werf.io/v1alpha1"},
                      {"kind", "WerfBundle"},
                      {"metadata", {{"name", "app"}, {"namespace", "apps"}, {"uid", "u-1"}, {"resourceVersion", "7"}}}};

std::vector<Verb> Verbs(const FakeRestClient& fake) {
  std::vector<Verb> verbs;
  for (const testing::Request& request : fake.requests()) verbs.push_back(request.verb);
  return verbs;
}

TEST(EventRecorderTest, RepeatsBecomeOneEventWhoseCountRises) {
  auto fake = std::make_shared<FakeRestClient>();
  EventRecorder recorder(fake, {.component = "werf-controller", .host = "pod-1"});
  recorder.Record(kBundle, "Warning", "ConvergeFailed", "werf converge failed");
  recorder.Flush();
  recorder.Record(kBundle, "Warning", "ConvergeFailed", "werf converge failed");
  recorder.Flush();

  const std::vector<json> events = fake->Objects(resources::kEvents, "apps");
  ASSERT_THAT(events, SizeIs(1));
  const json& event = events[0];
  EXPECT_EQ(event["count"], 2);
  EXPECT_EQ(event["reason"], "ConvergeFailed");
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["involvedObject"]["kind"], "WerfBundle");
  EXPECT_EQ(event["involvedObject"]["uid"], "u-1");
  EXPECT_EQ(event["source"]["component"], "werf-controller");
  EXPECT_EQ(event["reportingInstance"], "pod-1");
  EXPECT_THAT(Verbs(*fake), ElementsAre(Verb::kCreate, Verb::kPatch));
}

TEST(EventRecorderTest, DifferentMessagesAreDifferentEvents) {
  auto fake = std::make_shared<FakeRestClient>();
  EventRecorder recorder(fake, {.component = "werf-controller"});
  recorder.Record(kBundle, "Normal", "Converged", "revision 1");
  recorder.Record(kBundle, "Normal", "Converged", "revision 2");
  recorder.Flush();
  EXPECT_THAT(fake->Objects(resources::kEvents, "apps"), SizeIs(2));
  EXPECT_THAT(Verbs(*fake), ElementsAre(Verb::kCreate, Verb::kCreate));
}

TEST(EventRecorderTest, AnAggregatedEventThatWentIsCreatedAfresh) {
  auto fake = std::make_shared<FakeRestClient>();
  EventRecorder recorder(fake, {.component = "werf-controller"});
  recorder.Record(kBundle, "Warning", "ConvergeFailed", "boom");
  recorder.Flush();
  const std::vector<json> first = fake->Objects(resources::kEvents, "apps");
  ASSERT_THAT(first, SizeIs(1));
  // The Event's TTL ran out.
  ASSERT_TRUE(static_cast<RestClient&>(*fake)
                  .Delete(resources::kEvents, "apps", first[0]["metadata"]["name"].get<std::string>())
                  .ok());

  recorder.Record(kBundle, "Warning", "ConvergeFailed", "boom");
  recorder.Flush();
  const std::vector<json> second = fake->Objects(resources::kEvents, "apps");
  ASSERT_THAT(second, SizeIs(1));
  EXPECT_EQ(second[0]["count"], 1);
  EXPECT_THAT(Verbs(*fake), ElementsAre(Verb::kCreate, Verb::kDelete, Verb::kPatch, Verb::kCreate));
}

TEST(EventRecorderTest, EachObjectSpendsABurstThenIsDropped) {
  auto fake = std::make_shared<FakeRestClient>();
  EventRecorder recorder(fake, {.component = "werf-controller",
                                .burst_per_object = 2,
                                .refill_per_object = absl::Hours(1)});
  for (const char* reason : {"One", "Two", "Three"}) recorder.Record(kBundle, "Normal", reason, "m");
  recorder.Flush();
  EXPECT_EQ(recorder.dropped(), 1);
  EXPECT_THAT(fake->Objects(resources::kEvents, "apps"), SizeIs(2));
}

TEST(EventRecorderTest, ARefusedEventIsDroppedWithoutStoppingTheRecorder) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->FailNext(Verb::kCreate, testing::ApiError(403, "Forbidden"));
  EventRecorder recorder(fake, {.component = "werf-controller"});
  recorder.Record(kBundle, "Normal", "First", "m");
  recorder.Record(kBundle, "Normal", "Second", "m");
  recorder.Flush();
  const std::vector<json> events = fake->Objects(resources::kEvents, "apps");
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0]["reason"], "Second");
}

// A repeat within the aggregation window (as the recorder's clock measures it
// from the last repeat) raises the count; one past it starts a new Event.
TEST(EventRecorderTest, TheAggregationWindowIsMeasuredOnTheRecordersClock) {
  struct Case {
    const char* name;
    absl::Duration gap;
    std::vector<Verb> verbs;
    int events;
  };
  const std::vector<Case> cases = {
      {"well within", absl::Minutes(1), {Verb::kCreate, Verb::kPatch}, 1},
      {"exactly the window", absl::Minutes(10), {Verb::kCreate, Verb::kPatch}, 1},
      {"just past", absl::Minutes(10) + absl::Seconds(1), {Verb::kCreate, Verb::kCreate}, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto fake = std::make_shared<FakeRestClient>();
    FakeClock clock;
    EventRecorder recorder(fake, {.component = "werf-controller",
                                  .aggregation_window = absl::Minutes(10),
                                  .refill_per_object = absl::ZeroDuration(),
                                  .clock = &clock});
    recorder.Record(kBundle, "Warning", "ConvergeFailed", "boom");
    recorder.Flush();
    clock.Advance(c.gap);
    recorder.Record(kBundle, "Warning", "ConvergeFailed", "boom");
    recorder.Flush();
    EXPECT_EQ(Verbs(*fake), c.verbs);
    EXPECT_THAT(fake->Objects(resources::kEvents, "apps"), SizeIs(c.events));
  }
}

TEST(EventRecorderTest, AnObjectsBudgetRefillsOneEventPerRefillPeriod) {
  auto fake = std::make_shared<FakeRestClient>();
  FakeClock clock;
  EventRecorder recorder(fake, {.component = "werf-controller",
                                .burst_per_object = 1,
                                .refill_per_object = absl::Minutes(5),
                                .clock = &clock});
  recorder.Record(kBundle, "Normal", "One", "m");
  recorder.Record(kBundle, "Normal", "Two", "m");  // the burst is spent
  clock.Advance(absl::Minutes(4));
  recorder.Record(kBundle, "Normal", "Three", "m");  // not yet refilled
  clock.Advance(absl::Minutes(2));
  recorder.Record(kBundle, "Normal", "Four", "m");
  recorder.Flush();
  EXPECT_EQ(recorder.dropped(), 2);
  std::vector<std::string> reasons;
  for (const json& event : fake->Objects(resources::kEvents, "apps")) reasons.push_back(event["reason"]);
  EXPECT_THAT(reasons, ::testing::UnorderedElementsAre("One", "Four"));
}

}  // namespace
}  // namespace werf::kube
