#include "services/controller/notifications.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::controller {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

Json Bundle(Json notifications) {
  Json bundle = {{"metadata", {{"name", "web"}, {"namespace", "shop"}}}, {"spec", {{"registry", Json::object()}}}};
  if (!notifications.is_null()) bundle["spec"]["notifications"] = std::move(notifications);
  return bundle;
}

const char kSinks[] = R"([{"name": "chat", "kind": "Slack", "secretRef": {"name": "slack"}}])";

TEST(NotificationSinksOfTest, SpecWinsOverTheNamespaceDefault) {
  NotificationFacts facts = NotificationSinksOf(Bundle(Json::parse(kSinks)),
                                                R"([{"name": "ns", "kind": "Webhook", "secretRef": {"name": "x"}}])");
  ASSERT_EQ(facts.sinks.size(), 1u);
  EXPECT_EQ(facts.sinks[0].name, "chat");
  facts = NotificationSinksOf(Bundle(nullptr), R"([{"name": "ns", "kind": "Webhook", "secretRef": {"name": "x"}}])");
  ASSERT_EQ(facts.sinks.size(), 1u);
  EXPECT_EQ(facts.sinks[0].name, "ns");
  EXPECT_TRUE(NotificationSinksOf(Bundle(nullptr), std::nullopt).sinks.empty());
  EXPECT_TRUE(NotificationSinksOf(Bundle(Json::array()), "not even json").error.empty()) << "an empty list: none";
}

TEST(NotificationSinksOfTest, ErrorsNameWhereTheSinksCameFrom) {
  EXPECT_THAT(NotificationSinksOf(Bundle(Json::parse(R"([{"name": "a", "kind": "Fax"}])")), std::nullopt).error,
              HasSubstr("spec.notifications[0].kind"));
  EXPECT_THAT(NotificationSinksOf(Bundle(nullptr), "{oops").error,
              HasSubstr("Namespace annotation werf.io/notifications: not JSON"));
}

TEST(SetNotificationsConditionTest, FollowsTheRecords) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  NotificationFacts facts = NotificationSinksOf(Bundle(Json::parse(kSinks)), std::nullopt);
  api::BundleStatus status;
  status.notifications = {{.sink = "chat", .last_result = "HTTP 503", .consecutive_failures = 2},
                          {.sink = "removed"}};
  SetNotificationsCondition(facts, 3, now, status);
  ASSERT_EQ(status.notifications.size(), 1u) << "records of sinks no longer configured go";
  EXPECT_EQ(status.ConditionStatus("NotificationsDelivered"), "True") << "two failures are a blip";

  status.notifications[0].consecutive_failures = 3;
  status.notifications[0].last_result = "HTTP 503: down for maintenance";
  SetNotificationsCondition(facts, 3, now, status);
  const api::Condition* condition = status.FindCondition("NotificationsDelivered");
  ASSERT_NE(condition, nullptr);
  EXPECT_EQ(condition->status, "False");
  EXPECT_EQ(condition->reason, "DeliveryFailing");
  EXPECT_THAT(condition->message, HasSubstr("sink \"chat\": 3 attempts failed, last: HTTP 503: down for maintenance"));

  SetNotificationsCondition({}, 3, now, status);
  EXPECT_EQ(status.FindCondition("NotificationsDelivered"), nullptr) << "no sinks, no condition";
  EXPECT_TRUE(status.notifications.empty());

  facts.error = "spec.notifications[0].kind: bad";
  SetNotificationsCondition(facts, 3, now, status);
  EXPECT_EQ(status.FindCondition("NotificationsDelivered")->reason, "InvalidSinks");
}

}  // namespace
}  // namespace werf::controller
