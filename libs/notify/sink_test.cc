#include "libs/notify/sink.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::notify {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

TEST(ParseSinksTest, ReadsEveryField) {
  absl::StatusOr<std::vector<SinkSpec>> sinks = ParseSinks(Json::parse(R"([
    {"name": "team-slack", "kind": "Slack", "secretRef": {"name": "slack"}, "events": ["Failed", "Recovered"]},
    {"name": "ci", "kind": "GitHub", "secretRef": {"name": "gh"}}
  ])"), "spec.notifications");
  ASSERT_TRUE(sinks.ok()) << sinks.status();
  ASSERT_EQ(sinks->size(), 2u);
  EXPECT_EQ((*sinks)[0].kind, SinkKind::kSlack);
  EXPECT_EQ((*sinks)[0].secret_name, "slack");
  EXPECT_TRUE((*sinks)[0].Wants(OutcomeKind::kFailed));
  EXPECT_FALSE((*sinks)[0].Wants(OutcomeKind::kDeployed));
  EXPECT_TRUE((*sinks)[1].Wants(OutcomeKind::kStalled)) << "no events: every kind";
}

TEST(ParseSinksTest, ErrorsNameTheField) {
  const struct {
    const char* json;
    const char* error;
  } kCases[] = {
      {R"({"name": "x"})", "spec.notifications: must be a list"},
      {R"([{"kind": "Slack", "secretRef": {"name": "s"}}])", "spec.notifications[0].name: required"},
      {R"([{"name": "Bad_Name", "kind": "Slack", "secretRef": {"name": "s"}}])", "is not a DNS label"},
      {R"([{"name": "a", "kind": "Teams", "secretRef": {"name": "s"}}])",
       "spec.notifications[0].kind: \"Teams\" is not one of Slack, Webhook, CloudEvents, GitHub"},
      {R"([{"name": "a", "kind": "Slack"}])", "spec.notifications[0].secretRef.name: required"},
      {R"([{"name": "a", "kind": "Slack", "secretRef": {"name": "s"}, "events": ["Deployed", "Exploded"]}])",
       "spec.notifications[0].events[1]: \"Exploded\" is not one of Deployed"},
      {R"([{"name": "a", "kind": "Slack", "secretRef": {"name": "s"}},
           {"name": "a", "kind": "Webhook", "secretRef": {"name": "t"}}])",
       "spec.notifications[1].name: \"a\" names two sinks"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<std::vector<SinkSpec>> sinks = ParseSinks(Json::parse(c.json), "spec.notifications");
    EXPECT_FALSE(sinks.ok()) << c.json;
    EXPECT_THAT(sinks.status().message(), HasSubstr(c.error)) << c.json;
  }
}

TEST(ParseSinksTest, AtMostEightSinks) {
  Json list = Json::array();
  for (int i = 0; i < 9; ++i) {
    list.push_back({{"name", "s" + std::to_string(i)}, {"kind", "Webhook"}, {"secretRef", {{"name", "x"}}}});
  }
  EXPECT_THAT(ParseSinks(list, "spec.notifications").status().message(), HasSubstr("at most 8"));
}

}  // namespace
}  // namespace werf::notify
