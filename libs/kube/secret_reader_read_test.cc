// ReadSecret against the fake API server: what the user reads when the Secret is
// missing, forbidden or malformed. Asserted through codes and the names a message must
// carry, not its wording. (Decoding alone: secret_reader_test.cc.)
#include "libs/kube/secret_reader.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::kube {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ApiError;
using testing::FakeRestClient;
using testing::Verb;

json Secret(json data, const std::string& type = "") {
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", "creds"}, {"namespace", "apps"}}},
                 {"data", std::move(data)}};
  if (!type.empty()) secret["type"] = type;
  return secret;
}

TEST(ReadSecretTest, DecodesDataAndDefaultsTheTypeToOpaque) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->Seed(resources::kSecrets, Secret({{"username", absl::Base64Escape("werf")},
                                          {"password", absl::Base64Escape("s3cret")}}));
  absl::StatusOr<SecretContent> secret = ReadSecret(*fake, "apps", "creds", "registry credentials", "the poller");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->type, "Opaque");
  EXPECT_EQ(secret->data.at("username"), "werf");
  EXPECT_EQ(secret->data.at("password"), "s3cret");

  fake->Seed(resources::kSecrets, Secret(json::object(), "kubernetes.io/basic-auth"));
  secret = ReadSecret(*fake, "apps", "creds", "registry credentials", "the poller");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->type, "kubernetes.io/basic-auth");
  EXPECT_TRUE(secret->data.empty());
  EXPECT_THAT(fake->requests(Verb::kGet),
              ::testing::Each(testing::Request{.verb = Verb::kGet, .resource = "secrets", .ns = "apps", .name = "creds"}));
}

struct FailureCase {
  std::string name;
  // Sets the fake up: seeds a Secret or injects the API server's answer.
  std::function<void(FakeRestClient&)> arrange;
  absl::StatusCode code;
  // Besides the Secret's name and namespace, which every message carries.
  std::vector<std::string> mentions;
};

class ReadSecretFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(ReadSecretFailureTest, SaysWhichSecretAndWhoseFixItIs) {
  auto fake = std::make_shared<FakeRestClient>();
  GetParam().arrange(*fake);
  const absl::StatusOr<SecretContent> secret =
      ReadSecret(*fake, "apps", "creds", "registry credentials", "the poller");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), GetParam().code) << secret.status();
  const std::string message(secret.status().message());
  EXPECT_THAT(message, AllOf(HasSubstr("creds"), HasSubstr("apps")));
  for (const std::string& mention : GetParam().mentions) EXPECT_THAT(message, HasSubstr(mention));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReadSecretFailureTest,
    ::testing::Values(
        FailureCase{.name = "Missing",
                    .arrange = [](FakeRestClient&) {},
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"registry credentials", "not found"}},
        FailureCase{.name = "Forbidden",
                    .arrange =
                        [](FakeRestClient& fake) {
                          fake.FailNext(Verb::kGet,
                                        ApiError(403, "Forbidden",
                                                 "secrets \"creds\" is forbidden: User cannot get resource"));
                        },
                    .code = absl::StatusCode::kPermissionDenied,
                    .mentions = {"the poller", "get"}},
        FailureCase{.name = "ServerTrouble",
                    .arrange = [](FakeRestClient& fake) { fake.FailNext(Verb::kGet, ApiError(503, "ServiceUnavailable")); },
                    .code = absl::StatusCode::kUnavailable,
                    .mentions = {}},
        FailureCase{.name = "NotBase64",
                    .arrange = [](FakeRestClient& fake) { fake.Seed(resources::kSecrets, Secret({{"password", "!!!"}})); },
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"password", "base64"}}),
    [](const ::testing::TestParamInfo<FailureCase>& info) { return info.param.name; });

TEST(ReadSecretTest, NeverPutsAValueIntoAMessage) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->Seed(resources::kSecrets, Secret({{"token", absl::Base64Escape("s3cret")}, {"bad", "s3cret!"}}));
  const absl::StatusOr<SecretContent> secret = ReadSecret(*fake, "apps", "creds", "registry credentials", "the poller");
  ASSERT_FALSE(secret.ok());
  EXPECT_THAT(std::string(secret.status().message()), Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace werf::kube
