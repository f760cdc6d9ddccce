// Notifications end to end: the real binaries deploy through the test bed, and each
// sink posts to a real HTTP receiver on loopback that records what it got (and can
// answer 429/503, or slowly). What is checked is what a receiver sees: each outcome
// once per sink, across a graceful controller restart and one mid-delivery, after a
// Retry-After, and after the receiver was down (NotificationsDelivered=False while
// deploys go on).
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/webhook/signature.h"
#include "nlohmann/json.hpp"
#include "test/integration/e2e/end_to_end_fixture.h"
#include "test/integration/e2e/http_receiver.h"

namespace werf::e2e {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class NotificationsTest : public EndToEndTest {
 protected:
  // A Secret in the bundle's namespace with the given keys.
  void CreateSecret(const std::string& name, const std::map<std::string, std::string>& data) {
    std::vector<std::string> args = {"-n", ns_, "create", "secret", "generic", name};
    for (const auto& [key, value] : data) args.push_back(absl::StrCat("--from-literal=", key, "=", value));
    ASSERT_OK(Kubectl(args).status());
  }
  static std::string Sink(const std::string& name, const std::string& kind, const std::string& secret,
                          const std::string& events = "") {
    return absl::StrCat("  - name: ", name, "\n    kind: ", kind, "\n    secretRef: {name: ", secret, "}\n",
                        events.empty() ? "" : absl::StrCat("    events: [", events, "]\n"));
  }
  static std::string Event(const Receiver::Request& request) {
    return Json::parse(request.body).value("event", "");
  }
  void StartFastRetries() {
    StartSystem({.gateway = false,
                 .controller_flags = {"--notification_retry_base=300ms", "--notification_retry_max=1s"}});
  }
  Receiver receiver_;
};

TEST_F(NotificationsTest, EveryOutcomeReachesEverySinkOnceAcrossAControllerRestart) {
  CreateSecret("hook", {{"url", receiver_.Url("/hook")}, {"signingKey", "k3y"}});
  CreateSecret("slack", {{"url", receiver_.Url("/slack/T000/B000/XXXX")}});
  CreateSecret("events", {{"url", receiver_.Url("/events")}});
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", "", "", "deployer",
              absl::StrCat("  notifications:\n", Sink("hook", "Webhook", "hook"), Sink("chat", "Slack", "slack"),
                           Sink("events", "CloudEvents", "events")));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  ASSERT_OK(receiver_.WaitFor("/hook", 1));
  ASSERT_OK(receiver_.WaitFor("/slack/T000/B000/XXXX", 1));
  ASSERT_OK(receiver_.WaitFor("/events", 1));
  ASSERT_OK(WaitField("web", "{.status.conditions[?(@.type==\"NotificationsDelivered\")].status}", "True"));

  // Graceful restart: the new leader reads the records and sends nothing again.
  EXPECT_EQ(system_->controllers()[0]->Terminate(), 0);
  ASSERT_TRUE(system_->AddController().ok());
  ASSERT_TRUE(system_->WaitForLeader(absl::Seconds(30)).ok());
  absl::SleepFor(absl::Seconds(5));
  EXPECT_EQ(receiver_.Received("/hook").size(), 1u);

  // A failing deploy (retried, one Failed notification), then the fix and a new tag (Recovered;
  // the fix alone brings back the configuration already deployed, so no Job runs for it).
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "web", "--type=merge", "-p",
                     R"({"spec":{"converge":{"podLabels":{"testbed.werf.io/fail":"true"}}}})"})
                .status());
  ASSERT_OK(WaitField("web", "{.status.consecutiveFailures}", "2", absl::Seconds(90)));
  ASSERT_OK(Kubectl({"-n", ns_, "patch", "werfbundle", "web", "--type=json", "-p",
                     R"([{"op":"remove","path":"/spec/converge/podLabels"}])"})
                .status());
  Push({"1.1.0"});
  ASSERT_OK(receiver_.WaitFor("/hook", 3, absl::Seconds(90)));
  absl::SleepFor(absl::Seconds(3));

  const std::vector<Receiver::Request> hook = receiver_.Received("/hook");
  ASSERT_EQ(hook.size(), 3u);
  EXPECT_EQ(Event(hook[0]), "Deployed");
  EXPECT_EQ(Event(hook[1]), "Failed");
  EXPECT_EQ(Event(hook[2]), "Recovered");
  EXPECT_EQ(Json::parse(hook[2].body)["tag"], "1.1.0");
  std::set<std::string> ids;
  for (const Receiver::Request& r : hook) {
    EXPECT_TRUE(webhook::VerifyHubSignature256("k3y", r.body, r.Header("x-werf-signature-256"))) << r.body;
    EXPECT_EQ(r.Header("x-werf-delivery"), Json::parse(r.body)["id"]);
    ids.insert(r.Header("x-werf-delivery"));
    const Json body = Json::parse(r.body);
    EXPECT_EQ(body["bundle"]["namespace"], ns_);
    EXPECT_EQ(body["bundle"]["name"], "web");
  }
  EXPECT_EQ(ids.size(), 3u) << "three outcomes, each once";
  EXPECT_THAT(Json::parse(hook[1].body).value("message", ""), HasSubstr("exit code"));

  const std::vector<Receiver::Request> slack = receiver_.Received("/slack/T000/B000/XXXX");
  ASSERT_EQ(slack.size(), 3u);
  const Json first = Json::parse(slack[0].body);
  EXPECT_THAT(first["text"].get<std::string>(), HasSubstr(absl::StrCat(ns_, "/web 1.0.0 deployed")));
  EXPECT_EQ(first["blocks"][0]["type"], "header");
  const std::vector<Receiver::Request> events = receiver_.Received("/events");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_THAT(events[0].Header("content-type"), HasSubstr("application/cloudevents+json"));
  EXPECT_EQ(Json::parse(events[1].body)["type"], "io.werf.operator.bundle.failed");
  EXPECT_EQ(Json::parse(events[2].body)["specversion"], "1.0");

  // As sent, for whoever reads the test's output.
  std::cerr << "[payload] webhook " << hook[1].body << "\n[payload] slack " << slack[2].body
            << "\n[payload] cloudevents " << events[0].body << "\n";

  // The durable record names what each sink got; no secret in the status.
  const std::string status = *Field("web", "{.status}");
  EXPECT_THAT(status, HasSubstr(*std::next(ids.begin())));
  EXPECT_THAT(status, ::testing::Not(HasSubstr("k3y")));
  EXPECT_THAT(status, ::testing::Not(HasSubstr("XXXX")));
}

TEST_F(NotificationsTest, AStalledBundleIsReportedToASinkThatWantsOnlyThat) {
  CreateSecret("hook", {{"url", receiver_.Url("/hook")}});
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", "", "", "not-yet", absl::StrCat("  notifications:\n", Sink("oncall", "Webhook", "hook", "Stalled")));
  ASSERT_OK(receiver_.WaitFor("/hook", 1));
  const Json stalled = Json::parse(receiver_.Received("/hook")[0].body);
  EXPECT_EQ(stalled["event"], "Stalled");
  EXPECT_THAT(stalled.value("message", ""), HasSubstr("MissingReference: ServiceAccount \"not-yet\" not found"));
  // Fixed: it deploys, and a sink that wants only Stalled hears nothing of it.
  ASSERT_OK(Kubectl({"-n", ns_, "create", "serviceaccount", "not-yet"}).status());
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(receiver_.Received("/hook").size(), 1u);
}

TEST_F(NotificationsTest, RetryAfterIsHonouredAndTheOutcomeDeliveredOnce) {
  CreateSecret("hook", {{"url", receiver_.Url("/hook")}});
  receiver_.AnswerOnce({.status = 429, .retry_after = "3"});
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", "", "", "deployer", absl::StrCat("  notifications:\n", Sink("hook", "Webhook", "hook")));
  ASSERT_OK(receiver_.WaitFor("/hook", 1));
  absl::SleepFor(absl::Seconds(2));
  const std::vector<Receiver::Request> all = receiver_.Received("/hook", /*delivered_only=*/false);
  ASSERT_EQ(all.size(), 2u) << "one 429, then one delivery";
  EXPECT_EQ(all[0].answered, 429);
  EXPECT_EQ(all[1].answered, 200);
  EXPECT_GE(all[1].at - all[0].at, absl::Milliseconds(2500)) << "waited for Retry-After: 3";
  EXPECT_EQ(all[0].Header("x-werf-delivery"), all[1].Header("x-werf-delivery"));
}

TEST_F(NotificationsTest, AReceiverDownSetsTheConditionDeploysGoOnAndItCatchesUp) {
  CreateSecret("hook", {{"url", receiver_.Url("/hook")}});
  receiver_.AnswerAlways({.status = 503});
  StartFastRetries();
  Push({"1.0.0"});
  ApplyBundle("web", "", "", "", "deployer", absl::StrCat("  notifications:\n", Sink("hook", "Webhook", "hook")));
  ASSERT_OK(WaitField("web", "{.status.conditions[?(@.type==\"NotificationsDelivered\")].reason}",
                      "DeliveryFailing"));
  EXPECT_THAT(*Field("web", "{.status.conditions[?(@.type==\"NotificationsDelivered\")].message}"),
              HasSubstr("sink \"hook\""));
  EXPECT_THAT(*Field("web", "{.status.conditions[?(@.type==\"NotificationsDelivered\")].message}"),
              HasSubstr("HTTP 503: receiver says no"));
  EXPECT_EQ(*Field("web", "{.status.phase}"), "Synced") << "deploys are not affected";
  Push({"1.1.0"});
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.1.0"));

  receiver_.AnswerAlways({.status = 200});
  ASSERT_OK(receiver_.WaitFor("/hook", 2));
  ASSERT_OK(WaitField("web", "{.status.conditions[?(@.type==\"NotificationsDelivered\")].status}", "True"));
  absl::SleepFor(absl::Seconds(2));
  const std::vector<Receiver::Request> delivered = receiver_.Received("/hook");
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(Json::parse(delivered[0].body)["tag"], "1.0.0") << "oldest first";
  EXPECT_EQ(Json::parse(delivered[1].body)["tag"], "1.1.0");
}

TEST_F(NotificationsTest, OutcomesThatLeaveTheHistoryUndeliveredAreCountedAsDropped) {
  CreateSecret("hook", {{"url", receiver_.Url("/hook")}});
  receiver_.AnswerAlways({.status = 503});
  StartFastRetries();
  // Eleven deploys while the receiver is down: the history keeps ten.
  Push({"1.0.0"});
  ApplyBundle("web", "", "", "", "deployer", absl::StrCat("  notifications:\n", Sink("hook", "Webhook", "hook")));
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.0.0"));
  for (int minor = 1; minor <= 10; ++minor) {
    const std::string tag = absl::StrCat("1.", minor, ".0");
    Push({tag});
    ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", tag));
  }
  ASSERT_OK(testbed::WaitFor("the drop to be recorded", [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> dropped = Field("web", "{.status.notifications[0].dropped}");
    return dropped.ok() && *dropped == "1";
  }, absl::Seconds(30)));
  EXPECT_THAT(*Field("web", "{.status.conditions[?(@.type==\"NotificationsDelivered\")].message}"),
              HasSubstr("1 outcomes left the history undelivered"));

  receiver_.AnswerAlways({.status = 200});
  ASSERT_OK(receiver_.WaitFor("/hook", 10));
  absl::SleepFor(absl::Seconds(2));
  const std::vector<Receiver::Request> delivered = receiver_.Received("/hook");
  ASSERT_EQ(delivered.size(), 10u) << "what the history still held, each once";
  EXPECT_EQ(Json::parse(delivered[0].body)["tag"], "1.1.0") << "1.0.0 was the one dropped";
  EXPECT_EQ(Json::parse(delivered[9].body)["tag"], "1.10.0");
}

TEST_F(NotificationsTest, AControllerStoppedMidDeliveryNeitherDuplicatesNorLoses) {
  CreateSecret("hook", {{"url", receiver_.Url("/hook")}});
  receiver_.AnswerOnce({.status = 200, .delay = absl::Seconds(4)});
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ApplyBundle("web", "", "", "", "deployer", absl::StrCat("  notifications:\n", Sink("hook", "Webhook", "hook")));
  ASSERT_OK(WaitField("web", "{.status.phase}", "Synced"));
  // The receiver holds the request for 4 s; SIGTERM lands while it is in flight.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(system_->controllers()[0]->Terminate(), 0);
  ASSERT_TRUE(system_->AddController().ok());
  ASSERT_TRUE(system_->WaitForLeader(absl::Seconds(30)).ok());
  ASSERT_OK(receiver_.WaitFor("/hook", 1));
  absl::SleepFor(absl::Seconds(5));
  EXPECT_EQ(receiver_.Received("/hook", /*delivered_only=*/false).size(), 1u);
  EXPECT_THAT(*Field("web", "{.status.notifications[0].delivered}"), HasSubstr("web-"));
}

TEST_F(NotificationsTest, GitHubCommitStatusForTheManifestRevisionOrSkippedWithTheReason) {
  CreateSecret("github", {{"url", receiver_.Url("/api")}, {"token", "ghp_s3cr3t"}});
  StartSystem({.gateway = false});
  Push({"1.0.0"});
  ASSERT_OK(testbed::AnnotateManifest(registry_, repository_, "1.0.0",
                                      {{"org.opencontainers.image.revision", "0123456789abcdef0123456789abcdef01234567"},
                                       {"org.opencontainers.image.source", "https://github.com/acme/shop"}}));
  ApplyBundle("web", "", "", "", "deployer", absl::StrCat("  notifications:\n", Sink("ci", "GitHub", "github")));
  const std::string path = "/api/repos/acme/shop/statuses/0123456789abcdef0123456789abcdef01234567";
  ASSERT_OK(receiver_.WaitFor(path, 1));
  const Receiver::Request request = receiver_.Received(path)[0];
  EXPECT_EQ(request.Header("authorization"), "Bearer ghp_s3cr3t");
  const Json body = Json::parse(request.body);
  EXPECT_EQ(body["state"], "success");
  EXPECT_EQ(body["context"], absl::StrCat("werf-operator/", ns_, "/web"));

  // A manifest without the annotations: the status is skipped, and the record says why.
  Push({"1.1.0"});
  ASSERT_OK(WaitField("web", "{.status.lastAppliedTag}", "1.1.0"));
  ASSERT_OK(testbed::WaitFor("the skip to be recorded", [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> result = Field("web", "{.status.notifications[0].lastResult}");
    return result.ok() && absl::StrContains(*result, "skipped: the bundle manifest has no commit SHA");
  }, absl::Seconds(60)));
  EXPECT_EQ(receiver_.Received(path).size(), 1u);
  EXPECT_THAT(*Field("web", "{.status}"), ::testing::Not(HasSubstr("ghp_s3cr3t")));
}

}  // namespace
}  // namespace werf::e2e
