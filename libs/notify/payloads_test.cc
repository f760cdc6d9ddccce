#include "libs/notify/payloads.h"

#include <fstream>
#include <set>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/webhook/signature.h"

namespace werf::notify {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

Json Fixture(const std::string& name) {
  std::ifstream in(std::string(WERF_NOTIFY_TESTDATA) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

Message Failed() {
  return Message{.bundle = {.ns = "shop", .name = "web", .uid = "u-1"},
                 .outcome = {.id = "web-a-0000000007",
                             .kinds = {OutcomeKind::kFailed},
                             .tag = "1.2.3",
                             .digest = "sha256:0123456789abcdef0123456789abcdef",
                             .job_name = "web-a-0000000007",
                             .message = "werf bundle apply failed (exit code 1)",
                             .time = absl::FromUnixSeconds(1796000000),
                             .revision = 4,
                             .report_status = "failed",
                             .completed_operations = 2,
                             .failed_operations = 1,
                             .failed_operation_names = {"create Deployment/web"},
                             .log_tail = "Error: ``` timed out"},
                 .kind = OutcomeKind::kFailed};
}

// Every key we send in a block appears in the documented example of that block type.
void ExpectBlocksFollowTheDocumentedShape(const Json& ours, const Json& documented) {
  std::map<std::string, std::set<std::string>> keys;
  for (const Json& block : documented["blocks"]) {
    for (const auto& [key, value] : block.items()) keys[block["type"]].insert(key);
  }
  ASSERT_TRUE(ours.contains("text")) << "the notification fallback";
  for (const Json& block : ours["blocks"]) {
    ASSERT_TRUE(keys.contains(block["type"])) << block.dump();
    for (const auto& [key, value] : block.items()) EXPECT_TRUE(keys[block["type"]].contains(key)) << key;
    if (block.contains("text")) {
      EXPECT_THAT(std::set<std::string>({"plain_text", "mrkdwn"}), ::testing::Contains(block["text"]["type"]));
    }
    if (block.contains("fields")) {
      EXPECT_LE(block["fields"].size(), 10u) << "Slack allows 10 fields";
    }
  }
}

TEST(SlackMessageTest, FollowsBlockKitAndCarriesTheOutcome) {
  const Json message = SlackMessage(Failed());
  ExpectBlocksFollowTheDocumentedShape(message, Fixture("slack_block_kit.json"));
  const std::string text = message.dump();
  EXPECT_THAT(message["text"].get<std::string>(), HasSubstr("shop/web 1.2.3 failed to deploy"));
  EXPECT_THAT(text, HasSubstr("create Deployment/web"));
  EXPECT_THAT(text, HasSubstr("```Error: ''' timed out```")) << "a ``` in the log cannot end the code block";
  EXPECT_EQ(message["blocks"][0]["type"], "header");
  EXPECT_LE(message["blocks"][0]["text"]["text"].get<std::string>().size(), 150u);
}

TEST(SlackMessageTest, LongLogTailsAreCutToTheirEnd) {
  Message m = Failed();
  m.outcome.log_tail = std::string(5000, 'a') + "THE END";
  const std::string text = SlackMessage(m).dump();
  EXPECT_THAT(text, HasSubstr("THE END"));
  EXPECT_LT(text.size(), 4000u);
}

TEST(GenericWebhookTest, BodyIsDocumentedAndSignatureVerifies) {
  const Json body = GenericWebhookBody(Failed());
  EXPECT_EQ(body["kind"], "BundleOutcome");
  EXPECT_EQ(body["event"], "Failed");
  EXPECT_EQ(body["id"], "web-a-0000000007");
  EXPECT_EQ(body["bundle"], Json({{"namespace", "shop"}, {"name", "web"}, {"uid", "u-1"}}));
  EXPECT_EQ(body["revision"], 4);
  EXPECT_EQ(body["failedOperations"], 1);
  EXPECT_EQ(body["time"], "2026-11-30T00:53:20Z");
  const std::string signature = GenericWebhookSignature("k3y", body.dump());
  EXPECT_TRUE(webhook::VerifyHubSignature256("k3y", body.dump(), signature)) << signature;
  EXPECT_FALSE(webhook::VerifyHubSignature256("other", body.dump(), signature));
}

TEST(CloudEventTest, IsStructuredCloudEvents10) {
  const Json event = CloudEvent(Failed());
  for (const char* attribute : {"specversion", "id", "source", "type", "time", "datacontenttype", "data"}) {
    EXPECT_TRUE(event.contains(attribute)) << attribute;
  }
  EXPECT_EQ(event["specversion"], "1.0");
  EXPECT_EQ(event["type"], "io.werf.operator.bundle.failed");
  EXPECT_EQ(event["source"], "/apis/werf.io/v1alpha1/namespaces/shop/werfbundles/web");
  EXPECT_EQ(event["id"], "u-1/web-a-0000000007");
  EXPECT_EQ(event["data"], GenericWebhookBody(Failed()));
  EXPECT_EQ(CloudEventType(OutcomeKind::kDriftCorrected), "io.werf.operator.bundle.driftcorrected");
}

TEST(GitHubCommitStatusTest, FollowsTheDocumentedRequest) {
  const Json documented = Fixture("github_commit_status.json");
  absl::StatusOr<GitHubStatusRequest> request = GitHubCommitStatus(
      Failed(), {{"org.opencontainers.image.revision", "0123456789ABCDEF0123456789abcdef01234567"},
                 {"org.opencontainers.image.source", "https://github.com/acme/shop.git"}});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->path, "/repos/acme/shop/statuses/0123456789abcdef0123456789abcdef01234567");
  for (const auto& [key, value] : request->body.items()) EXPECT_TRUE(documented["body"].contains(key)) << key;
  EXPECT_THAT(documented["states"], ::testing::Contains(request->body["state"]));
  EXPECT_EQ(request->body["state"], "failure");
  EXPECT_EQ(request->body["context"], "werf-operator/shop/web");
  EXPECT_LE(request->body["description"].get<std::string>().size(), 140u);
}

TEST(GitHubCommitStatusTest, SkipsWithAReasonWithoutRevisionOrGitHubSource) {
  EXPECT_THAT(GitHubCommitStatus(Failed(), {}).status().message(), HasSubstr("org.opencontainers.image.revision"));
  EXPECT_THAT(GitHubCommitStatus(Failed(), {{"org.opencontainers.image.revision", "abcdef1"},
                                            {"org.opencontainers.image.source", "https://gitlab.com/a/b"}})
                  .status()
                  .message(),
              HasSubstr("names no github.com repository"));
}

}  // namespace
}  // namespace werf::notify
