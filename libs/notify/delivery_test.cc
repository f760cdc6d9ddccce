// Delivery against the fake HTTP client: the request each sink kind sends and how
// answers are classified. The real HTTP exchange is tested end to end against a
// loopback receiver (test/integration/e2e/notifications_test.cc).
#include "libs/notify/delivery.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/http/testing/fake_http_client.h"
#include "libs/http/transport_error.h"

namespace werf::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using ::werf::http::testing::FakeHttpClient;

std::string Header(const FakeHttpClient& transport, const std::string& name) {
  return http::testing::RequestHeader(transport.last_request(), name).value_or("");
}

Message Deployed() {
  return {.bundle = {.ns = "shop", .name = "web", .uid = "u"},
          .outcome = {.id = "web-1", .kinds = {OutcomeKind::kDeployed}, .tag = "1.0.0"},
          .kind = OutcomeKind::kDeployed};
}

const absl::Time kNow = absl::FromUnixSeconds(1796000000);

TEST(DeliverTest, EachKindPostsItsPayload) {
  const struct {
    SinkKind kind;
    const char* url;
    const char* content_type;
  } kCases[] = {
      {SinkKind::kSlack, "https://hooks.slack.test/services/T/B/x", "application/json"},
      {SinkKind::kWebhook, "https://hooks.test/werf", "application/json"},
      {SinkKind::kCloudEvents, "https://events.test/", "application/cloudevents+json; charset=UTF-8"},
  };
  for (const auto& c : kCases) {
    FakeHttpClient transport;
    const DeliveryResult result =
        Deliver(transport, {.name = "s", .kind = c.kind}, {.url = c.url}, Deployed(), nullptr, kNow);
    EXPECT_EQ(result.kind, DeliveryResult::Kind::kDelivered) << SinkKindName(c.kind);
    EXPECT_EQ(result.summary, "HTTP 200");
    ASSERT_EQ(transport.request_count(), 1u);
    EXPECT_EQ(transport.requests()[0].method, "POST");
    EXPECT_EQ(transport.requests()[0].url, c.url);
    EXPECT_EQ(Header(transport, "Content-Type"), c.content_type);
    EXPECT_TRUE(nlohmann::json::accept(transport.requests()[0].body));
    EXPECT_EQ(Header(transport, "Authorization"), "") << "no token, no header";
  }
}

TEST(DeliverTest, WebhookIsSignedAndNamesTheDelivery) {
  FakeHttpClient transport;
  Deliver(transport, {.kind = SinkKind::kWebhook}, {.url = "https://h.test/", .token = "t0k", .signing_key = "k"},
          Deployed(), nullptr, kNow);
  EXPECT_EQ(Header(transport, "X-Werf-Signature-256"), GenericWebhookSignature("k", transport.requests()[0].body));
  EXPECT_EQ(Header(transport, "X-Werf-Delivery"), "web-1");
  EXPECT_EQ(Header(transport, "X-Werf-Event"), "Deployed");
  EXPECT_EQ(Header(transport, "Authorization"), "Bearer t0k");
}

TEST(DeliverTest, GitHubPostsTheCommitStatusOrSkipsWithTheReason) {
  FakeHttpClient transport;
  transport.SetDefault(http::HttpResponse{.status = 201});
  const std::map<std::string, std::string> annotations = {
      {"org.opencontainers.image.revision", "abcdef1234567"},
      {"org.opencontainers.image.source", "https://github.com/acme/shop"}};
  DeliveryResult result = Deliver(transport, {.kind = SinkKind::kGitHub}, {.url = "http://127.0.0.1:9/api/", .token = "ght"},
                                  Deployed(), &annotations, kNow);
  EXPECT_EQ(result.kind, DeliveryResult::Kind::kDelivered);
  EXPECT_EQ(transport.requests()[0].url, "http://127.0.0.1:9/api/repos/acme/shop/statuses/abcdef1234567");
  EXPECT_EQ(Header(transport, "Authorization"), "Bearer ght");
  EXPECT_EQ(Header(transport, "X-GitHub-Api-Version"), "2022-11-28");

  result = Deliver(transport, {.kind = SinkKind::kGitHub}, {.token = "ght"}, Deployed(),
                   &(const std::map<std::string, std::string>&)std::map<std::string, std::string>{}, kNow);
  EXPECT_EQ(result.kind, DeliveryResult::Kind::kSkipped);
  EXPECT_THAT(result.summary, HasSubstr("skipped: the bundle manifest has no commit SHA"));
  EXPECT_EQ(transport.request_count(), 1u) << "nothing sent when skipped";
}

TEST(DeliverTest, FailuresKeepTheAnswerAndRetryAfterButNoSecret) {
  FakeHttpClient transport;
  http::HttpResponse throttled{.status = 429, .body = "slow down, https://hooks.test/s3cr3t is busy"};
  throttled.headers.Add("Retry-After", "7");
  transport.SetDefault(throttled);
  const DeliveryResult result =
      Deliver(transport, {.kind = SinkKind::kSlack}, {.url = "https://hooks.test/s3cr3t"}, Deployed(), nullptr, kNow);
  EXPECT_EQ(result.kind, DeliveryResult::Kind::kFailed);
  EXPECT_EQ(result.http_status, 429);
  EXPECT_EQ(result.retry_at, kNow + absl::Seconds(7));
  EXPECT_THAT(result.summary, HasSubstr("HTTP 429: slow down"));
  EXPECT_THAT(result.summary, Not(HasSubstr("s3cr3t")));

  transport.SetDefault(absl::UnavailableError("connect to https://hooks.test/s3cr3t refused"));
  const DeliveryResult down =
      Deliver(transport, {.kind = SinkKind::kSlack}, {.url = "https://hooks.test/s3cr3t"}, Deployed(), nullptr, kNow);
  EXPECT_EQ(down.kind, DeliveryResult::Kind::kFailed);
  EXPECT_EQ(down.http_status, 0);
  EXPECT_THAT(down.summary, HasSubstr("no answer: connect to [redacted] refused"));

  // A transport error names the origin only: the path may be the secret.
  transport.SetDefault(http::MakeTransportError("POST", "https://hooks.test/s3cr3t",
                                                {.failure = http::TransportFailure::kConnect,
                                                 .detail = "Connection refused"}));
  const DeliveryResult refused =
      Deliver(transport, {.kind = SinkKind::kSlack}, {.url = "https://hooks.test/s3cr3t"}, Deployed(), nullptr, kNow);
  EXPECT_EQ(refused.kind, DeliveryResult::Kind::kFailed);
  EXPECT_THAT(refused.summary, HasSubstr("no answer: POST https://hooks.test"));
  EXPECT_THAT(refused.summary, HasSubstr("Connection refused"));
  EXPECT_THAT(refused.summary, Not(HasSubstr("s3cr3t")));
}

TEST(MissingSecretKeyTest, NamesTheKeyEachKindNeeds) {
  EXPECT_EQ(MissingSecretKey(SinkKind::kSlack, {}), "url");
  EXPECT_EQ(MissingSecretKey(SinkKind::kGitHub, {.url = "x"}), "token");
  EXPECT_EQ(MissingSecretKey(SinkKind::kGitHub, {.token = "x"}), "");
}

}  // namespace
}  // namespace werf::notify
