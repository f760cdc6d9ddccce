// The receiver over real HTTP on 127.0.0.1, with the parsers of libs/webhook and a
// fixed secret source in place of the Kubernetes Secret (KubeWebhookSecrets is
// exercised by the end-to-end test).
#include "services/poller/webhook_receiver.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/time_util.h"
#include "httplib.h"
#include "libs/common/testing/fake_clock.h"
#include "openssl/hmac.h"

namespace werf::poller {
namespace {

namespace pb = ::werf::operator_::v1;
using ::testing::HasSubstr;

class FixedSecrets final : public WebhookSecrets {
 public:
  explicit FixedSecrets(std::map<std::string, std::string> values, bool broken = false)
      : values_(std::move(values)), broken_(broken) {}
  absl::StatusOr<std::optional<std::string>> Get(const std::string& source) override {
    if (broken_) return absl::UnavailableError("forbidden");
    auto it = values_.find(source);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> values_;
  bool broken_;
};

constexpr char kDistributionEvent[] = R"({"events":[{"id":"1","action":"push","target":{
  "mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0f0f","size":400,
  "repository":"team/app","tag":"1.2.0"},"request":{"host":"registry.example.com:5000","method":"PUT"}}]})";
constexpr char kGenericEvent[] = R"({"registry":"registry.example.com","repository":"team/app","tag":"2.0.0"})";

std::string HubSignature(const std::string& secret, const std::string& body) {
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  return "sha256=" + absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
}

class WebhookReceiverTest : public ::testing::Test {
 protected:
  void StartReceiver(std::unique_ptr<WebhookSecrets> secrets, WebhookReceiver::Options options = {}) {
    options.address = "127.0.0.1:0";
    auto receiver = WebhookReceiver::Start(options, std::move(secrets), [this](const pb::RepositoryEvent& event) {
      absl::MutexLock lock(&mu_);
      events_.push_back(event);
      return absl::OkStatus();
    });
    ASSERT_TRUE(receiver.ok()) << receiver.status();
    receiver_ = std::move(*receiver);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", receiver_->address().port);
  }
  void SetUp() override {
    StartReceiver(std::make_unique<FixedSecrets>(std::map<std::string, std::string>{
        {"distribution", "dist-token"}, {"generic", "hmac-key"}, {"dockerhub", "path-token-123"},
        // A key left empty by mistake must not turn a source into an open door.
        {"quay", ""}}));
  }

  httplib::Result Post(const std::string& path, const std::string& body, httplib::Headers headers = {}) {
    return client_->Post(path, headers, body, "application/json");
  }
  std::vector<pb::RepositoryEvent> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

  absl::Mutex mu_;
  std::vector<pb::RepositoryEvent> events_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebhookReceiverTest, AnAuthenticatedDistributionEventIsForwarded) {
  httplib::Result result = Post("/hooks/distribution", kDistributionEvent, {{"Authorization", "Bearer dist-token"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 202) << result->body;
  const std::vector<pb::RepositoryEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].source(), "distribution");
  EXPECT_EQ(events[0].registry(), "registry.example.com:5000");
  EXPECT_EQ(events[0].repository(), "team/app");
  EXPECT_EQ(events[0].tag(), "1.2.0");
  EXPECT_TRUE(events[0].has_received_at());
}

struct RefusalCase {
  std::string name;
  std::string path;
  std::string body;
  httplib::Headers headers;
  int status;
};

class WebhookRefusalTest : public WebhookReceiverTest, public ::testing::WithParamInterface<RefusalCase> {};

TEST_P(WebhookRefusalTest, IsAnsweredWithItsCodeAndForwardsNothing) {
  httplib::Result result = Post(GetParam().path, GetParam().body, GetParam().headers);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, GetParam().status) << result->body;
  EXPECT_THAT(result->body, HasSubstr("error"));
  EXPECT_TRUE(Events().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WebhookRefusalTest,
    ::testing::Values(
        RefusalCase{"UnknownSource", "/hooks/nosuch", kGenericEvent, {}, 404},
        RefusalCase{"SourceWithoutASecretIsDisabled", "/hooks/github", kGenericEvent,
                    {{"X-Hub-Signature-256", HubSignature("x", kGenericEvent)}}, 404},
        RefusalCase{"MissingBearer", "/hooks/distribution", kDistributionEvent, {}, 401},
        RefusalCase{"WrongBearer", "/hooks/distribution", kDistributionEvent, {{"Authorization", "Bearer nope"}}, 401},
        RefusalCase{"WrongHmacKey", "/hooks/generic", kGenericEvent,
                    {{"X-Hub-Signature-256", HubSignature("other-key", kGenericEvent)}}, 401},
        RefusalCase{"SignatureOfAnotherBody", "/hooks/generic", kGenericEvent,
                    {{"X-Hub-Signature-256", HubSignature("hmac-key", "{}")}}, 401},
        RefusalCase{"WrongPathToken", "/hooks/dockerhub/guess", "{}", {}, 401},
        RefusalCase{"NoPathToken", "/hooks/dockerhub", "{}", {}, 401},
        RefusalCase{"AnEmptySecretAuthenticatesNothing", "/hooks/quay", "{}", {}, 401},
        RefusalCase{"MalformedBody", "/hooks/distribution", "{not json", {{"Authorization", "Bearer dist-token"}}, 400}),
    [](const ::testing::TestParamInfo<RefusalCase>& info) { return info.param.name; });

TEST_F(WebhookReceiverTest, AGenericEventSignedWithTheSharedKeyIsForwarded) {
  httplib::Result result =
      Post("/hooks/generic", kGenericEvent, {{"X-Hub-Signature-256", HubSignature("hmac-key", kGenericEvent)}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 202) << result->body;
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0].repository(), "team/app");
}

TEST(WebhookReceiverLimitsTest, OversizedBodiesAndBurstsBeyondTheRateAreRefused) {
  std::vector<pb::RepositoryEvent> forwarded;
  absl::Mutex mu;
  auto receiver = WebhookReceiver::Start(
      {.address = "127.0.0.1:0", .max_body_bytes = 1024, .qps = 0.001, .burst = 3},
      std::make_unique<FixedSecrets>(std::map<std::string, std::string>{{"generic", "k"}}),
      [&](const pb::RepositoryEvent& event) {
        absl::MutexLock lock(&mu);
        forwarded.push_back(event);
        return absl::OkStatus();
      });
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  httplib::Client client("127.0.0.1", (*receiver)->address().port);
  const std::string big(4096, ' ');
  httplib::Result too_large = client.Post("/hooks/generic", {{"X-Hub-Signature-256", HubSignature("k", big)}}, big,
                                          "application/json");
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  std::vector<int> codes;
  for (int i = 0; i < 5; ++i) {
    httplib::Result result = client.Post("/hooks/generic", {{"X-Hub-Signature-256", HubSignature("k", kGenericEvent)}},
                                         kGenericEvent, "application/json");
    ASSERT_TRUE(result);
    codes.push_back(result->status);
  }
  // The oversized one was refused before it reached the limiter.
  EXPECT_THAT(codes, ::testing::ElementsAre(202, 202, 202, 429, 429));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(forwarded.size(), 3u);
}

// The per-source limit refills on the receiver's clock: one delivery back per second
// at qps 1, never more than the burst; and events are stamped with that clock.
TEST(WebhookReceiverLimitsTest, TheRateLimitRefillsOnTheReceiversClock) {
  struct Step {
    absl::Duration advance;  // before the delivery
    int code;
  };
  const std::vector<Step> steps = {
      {absl::ZeroDuration(), 202},     // the burst of 2
      {absl::ZeroDuration(), 202},
      {absl::ZeroDuration(), 429},     // spent
      {absl::Milliseconds(500), 429},  // half a token back
      {absl::Milliseconds(500), 202},  // one
      {absl::ZeroDuration(), 429},
      {absl::Minutes(10), 202},        // refilled, but only up to the burst
      {absl::ZeroDuration(), 202},
      {absl::ZeroDuration(), 429},
  };
  common::testing::FakeClock clock;
  std::vector<pb::RepositoryEvent> forwarded;
  absl::Mutex mu;
  auto receiver = WebhookReceiver::Start(
      {.address = "127.0.0.1:0", .qps = 1, .burst = 2, .clock = &clock},
      std::make_unique<FixedSecrets>(std::map<std::string, std::string>{{"generic", "k"}}),
      [&](const pb::RepositoryEvent& event) {
        absl::MutexLock lock(&mu);
        forwarded.push_back(event);
        return absl::OkStatus();
      });
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  httplib::Client client("127.0.0.1", (*receiver)->address().port);
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("delivery ", i));
    clock.Advance(steps[i].advance);
    httplib::Result result = client.Post("/hooks/generic", {{"X-Hub-Signature-256", HubSignature("k", kGenericEvent)}},
                                         kGenericEvent, "application/json");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, steps[i].code);
  }
  absl::MutexLock lock(&mu);
  ASSERT_EQ(forwarded.size(), 5u);
  EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToMilliseconds(forwarded.back().received_at()),
            absl::ToUnixMillis(clock.Now()));
}

TEST(WebhookReceiverSecretsTest, UnreadableSecretsAre503) {
  auto receiver = WebhookReceiver::Start({.address = "127.0.0.1:0"}, std::make_unique<FixedSecrets>(
                                                                          std::map<std::string, std::string>{}, true),
                                         [](const pb::RepositoryEvent&) { return absl::OkStatus(); });
  ASSERT_TRUE(receiver.ok());
  httplib::Client client("127.0.0.1", (*receiver)->address().port);
  httplib::Result result = client.Post("/hooks/generic", kGenericEvent, "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
}

}  // namespace
}  // namespace werf::poller
