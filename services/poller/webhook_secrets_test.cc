// KubeWebhookSecrets against the fake API server and the fake clock: one GET per TTL
// however many deliveries, a rotated Secret taking effect once the TTL is up, a missing
// Secret or key disabling the source, and a Secret that cannot be read being an error
// (the receiver answers 503) rather than a stale answer.
#include "services/poller/webhook_secrets.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"
#include "libs/common/testing/status_testing.h"
#include "libs/kube/resource.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::poller {
namespace {

using kube::testing::ApiError;
using kube::testing::FakeRestClient;
using kube::testing::Verb;
using nlohmann::json;
using status_testing::Message;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::SizeIs;

constexpr absl::Duration kTtl = absl::Seconds(10);

json WebhookSecret(json data) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "werf-webhooks"}, {"namespace", "ops"}}},
          {"data", std::move(data)}};
}

class KubeWebhookSecretsTest : public ::testing::Test {
 protected:
  size_t Reads() const { return fake_->requests(Verb::kGet).size(); }

  std::shared_ptr<FakeRestClient> fake_ = std::make_shared<FakeRestClient>();
  common::testing::FakeClock clock_;
  KubeWebhookSecrets secrets_{fake_, "ops", "werf-webhooks", kTtl, clock_};
};

TEST_F(KubeWebhookSecretsTest, AnswersEachSourcesDecodedKeyFromOneRead) {
  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"github", absl::Base64Escape("gh-s3cret")},
                                                        {"harbor", absl::Base64Escape("hb-s3cret")}}));

  ASSERT_OK_AND_ASSIGN(const std::optional<std::string> github, secrets_.Get("github"));
  EXPECT_THAT(github, Optional(std::string("gh-s3cret")));
  ASSERT_OK_AND_ASSIGN(const std::optional<std::string> harbor, secrets_.Get("harbor"));
  EXPECT_THAT(harbor, Optional(std::string("hb-s3cret")));
  ASSERT_OK_AND_ASSIGN(const std::optional<std::string> dockerhub, secrets_.Get("dockerhub"));
  EXPECT_EQ(dockerhub, std::nullopt) << "a source without a key is disabled";
  EXPECT_EQ(Reads(), 1u);
  EXPECT_EQ(fake_->requests(Verb::kGet)[0],
            (kube::testing::Request{.verb = Verb::kGet, .resource = "secrets", .ns = "ops", .name = "werf-webhooks"}));
}

TEST_F(KubeWebhookSecretsTest, ARotatedSecretTakesEffectOnceTheTtlIsUp) {
  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"github", absl::Base64Escape("old")}}));
  EXPECT_THAT(*secrets_.Get("github"), Optional(std::string("old")));
  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"github", absl::Base64Escape("new")}}));

  clock_.Advance(kTtl - absl::Nanoseconds(1));
  EXPECT_THAT(*secrets_.Get("github"), Optional(std::string("old")));
  EXPECT_EQ(Reads(), 1u);
  clock_.Advance(absl::Nanoseconds(1));
  EXPECT_THAT(*secrets_.Get("github"), Optional(std::string("new")));
  EXPECT_EQ(Reads(), 2u);
}

TEST_F(KubeWebhookSecretsTest, AKeyRemovedFromTheSecretDisablesItsSource) {
  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"github", absl::Base64Escape("gh")},
                                                        {"harbor", absl::Base64Escape("hb")}}));
  EXPECT_THAT(*secrets_.Get("harbor"), Optional(std::string("hb")));
  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"github", absl::Base64Escape("gh")}}));
  clock_.Advance(kTtl);
  EXPECT_EQ(*secrets_.Get("harbor"), std::nullopt);
}

TEST_F(KubeWebhookSecretsTest, AMissingSecretDisablesEverySourceAndIsCachedToo) {
  ASSERT_OK_AND_ASSIGN(const std::optional<std::string> github, secrets_.Get("github"));
  EXPECT_EQ(github, std::nullopt);
  EXPECT_EQ(*secrets_.Get("harbor"), std::nullopt);
  EXPECT_EQ(Reads(), 1u) << "a burst of deliveries without a Secret costs one GET";

  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"github", absl::Base64Escape("gh")}}));
  EXPECT_EQ(*secrets_.Get("github"), std::nullopt);
  clock_.Advance(kTtl);
  EXPECT_THAT(*secrets_.Get("github"), Optional(std::string("gh")));
}

TEST_F(KubeWebhookSecretsTest, KeysThatAreNoUsableSecretDisableTheirSource) {
  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"empty", ""},
                                                        {"not-base64", "%%%"},
                                                        {"number", 42},
                                                        {"github", absl::Base64Escape("gh")}}));
  for (const char* source : {"empty", "not-base64", "number"}) {
    ASSERT_OK_AND_ASSIGN(const std::optional<std::string> secret, secrets_.Get(source));
    EXPECT_EQ(secret, std::nullopt) << source;
  }
  EXPECT_THAT(*secrets_.Get("github"), Optional(std::string("gh")));
}

TEST_F(KubeWebhookSecretsTest, ASecretWithoutDataDisablesEverySource) {
  json secret = WebhookSecret(json::object());
  secret.erase("data");
  fake_->Seed(kube::resources::kSecrets, secret);
  ASSERT_OK_AND_ASSIGN(const std::optional<std::string> github, secrets_.Get("github"));
  EXPECT_EQ(github, std::nullopt);
}

TEST_F(KubeWebhookSecretsTest, AReadErrorIsUnavailableNamingTheSecretAndIsNotCached) {
  fake_->Seed(kube::resources::kSecrets, WebhookSecret({{"github", absl::Base64Escape("gh")}}));
  EXPECT_THAT(*secrets_.Get("github"), Optional(std::string("gh")));
  clock_.Advance(kTtl);
  fake_->FailNext(Verb::kGet, ApiError(403, "Forbidden", "secrets \"werf-webhooks\" is forbidden"));

  const absl::StatusOr<std::optional<std::string>> failed = secrets_.Get("github");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_THAT(Message(failed.status()), HasSubstr("cannot read the webhook Secret ops/werf-webhooks: "));
  EXPECT_THAT(Message(failed.status()), HasSubstr("is forbidden"));

  // The next delivery asks again at once, not after another TTL.
  EXPECT_THAT(*secrets_.Get("github"), Optional(std::string("gh")));
  EXPECT_THAT(fake_->requests(Verb::kGet), SizeIs(3));
}

}  // namespace
}  // namespace werf::poller
