// LoadOrCreateValuesKey against the fake API server: the first controller creates the
// Secret, later ones (and one that loses the race to create it) use the one there, and
// a Secret that cannot key anything is an error that says which Secret and what to do.
#include "services/controller/values_key.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::controller {
namespace {

using kube::testing::ApiError;
using kube::testing::FakeRestClient;
using kube::testing::Request;
using kube::testing::Verb;
using nlohmann::json;
using status_testing::Message;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Request kGetKey{.verb = Verb::kGet, .resource = "secrets", .ns = "ops", .name = kValuesKeySecret};
const Request kCreateKey{.verb = Verb::kCreate, .resource = "secrets", .ns = "ops", .name = kValuesKeySecret};

json KeySecret(const std::string& ns, json data) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", kValuesKeySecret}, {"namespace", ns}}},
          {"data", std::move(data)}};
}

class ValuesKeyTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeRestClient> fake_ = std::make_shared<FakeRestClient>();
  kube::RestClient& api_ = *fake_;
};

TEST_F(ValuesKeyTest, CreatesAManagedSecretWithThirtyTwoRandomBytesWhenThereIsNone) {
  ASSERT_OK_AND_ASSIGN(const std::string key, LoadOrCreateValuesKey(api_, "ops"));
  EXPECT_EQ(key.size(), 32u);

  const std::optional<json> stored = fake_->Object(kube::resources::kSecrets, "ops", kValuesKeySecret);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ((*stored)["type"], "Opaque");
  EXPECT_EQ((*stored)["metadata"]["labels"]["app.kubernetes.io/managed-by"], "werf-operator");
  std::string stored_key;
  ASSERT_TRUE(absl::Base64Unescape((*stored)["data"]["key"].get<std::string>(), &stored_key));
  EXPECT_EQ(stored_key, key);  // what is returned is what the next controller reads
  EXPECT_THAT(fake_->requests(),
              ElementsAre(kGetKey, kCreateKey));
}

TEST_F(ValuesKeyTest, EveryInstallGetsItsOwnKey) {
  ASSERT_OK_AND_ASSIGN(const std::string first, LoadOrCreateValuesKey(api_, "ops"));
  ASSERT_OK_AND_ASSIGN(const std::string second, LoadOrCreateValuesKey(api_, "other-ops"));
  EXPECT_NE(first, second);
}

TEST_F(ValuesKeyTest, ReusesTheSecretThereWithoutWriting) {
  const std::string key(16, 'k');  // the shortest usable key
  fake_->Seed(kube::resources::kSecrets, KeySecret("ops", {{"key", absl::Base64Escape(key)}}));

  ASSERT_OK_AND_ASSIGN(const std::string loaded, LoadOrCreateValuesKey(api_, "ops"));
  EXPECT_EQ(loaded, key);
  ASSERT_OK_AND_ASSIGN(const std::string again, LoadOrCreateValuesKey(api_, "ops"));
  EXPECT_EQ(again, key);
  EXPECT_THAT(fake_->requests(), ElementsAre(kGetKey, kGetKey));
}

TEST_F(ValuesKeyTest, LosingTheRaceToCreateReadsTheWinnersKey) {
  // Our read finds none; by our create another replica has made its Secret.
  const std::string winners(32, 'w');
  fake_->Seed(kube::resources::kSecrets, KeySecret("ops", {{"key", absl::Base64Escape(winners)}}));
  fake_->FailNext(Verb::kGet, ApiError(404, "NotFound"));

  ASSERT_OK_AND_ASSIGN(const std::string key, LoadOrCreateValuesKey(api_, "ops"));
  EXPECT_EQ(key, winners);
  EXPECT_THAT(fake_->requests(),
              ElementsAre(kGetKey, kCreateKey, kGetKey));
  std::string stored;
  ASSERT_TRUE(absl::Base64Unescape(
      (*fake_->Object(kube::resources::kSecrets, "ops", kValuesKeySecret))["data"]["key"].get<std::string>(),
      &stored));
  EXPECT_EQ(stored, winners);  // the loser did not overwrite it
}

TEST_F(ValuesKeyTest, LosingTheRaceAndFailingToReadTheWinnerIsThatError) {
  // Our create is refused as a duplicate, but the winner's Secret is gone by our re-read:
  // no key is made up, the re-read's error is the answer.
  fake_->FailNext(Verb::kCreate, ApiError(409, "AlreadyExists"));

  const absl::StatusOr<std::string> key = LoadOrCreateValuesKey(api_, "ops");
  EXPECT_TRUE(kube::IsApiNotFound(key.status())) << key.status();
  EXPECT_THAT(fake_->requests(), ElementsAre(kGetKey, kCreateKey, kGetKey));
  EXPECT_FALSE(fake_->Object(kube::resources::kSecrets, "ops", kValuesKeySecret).has_value());
}

TEST_F(ValuesKeyTest, AReadErrorOtherThanNotFoundNamesTheSecretAndCreatesNothing) {
  fake_->FailNext(Verb::kGet, ApiError(403, "Forbidden", "secrets \"werf-operator-values-key\" is forbidden"));

  const absl::StatusOr<std::string> key = LoadOrCreateValuesKey(api_, "ops");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kPermissionDenied) << key.status();
  EXPECT_TRUE(kube::IsApiForbidden(key.status())) << "the context added keeps the API error's payloads";
  EXPECT_THAT(Message(key.status()), HasSubstr("reading Secret ops/werf-operator-values-key: "));
  EXPECT_THAT(Message(key.status()), HasSubstr("is forbidden"));
  EXPECT_THAT(fake_->requests(Verb::kCreate), ::testing::IsEmpty());
}

TEST_F(ValuesKeyTest, ACreateErrorNamesTheSecret) {
  fake_->FailNext(Verb::kCreate, ApiError(403, "Forbidden", "cannot create resource \"secrets\""));

  const absl::StatusOr<std::string> key = LoadOrCreateValuesKey(api_, "ops");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kPermissionDenied) << key.status();
  EXPECT_TRUE(kube::IsApiForbidden(key.status())) << "the context added keeps the API error's payloads";
  EXPECT_THAT(Message(key.status()), HasSubstr("creating Secret ops/werf-operator-values-key: "));
  EXPECT_THAT(Message(key.status()), HasSubstr("cannot create resource"));
  EXPECT_FALSE(fake_->Object(kube::resources::kSecrets, "ops", kValuesKeySecret).has_value());
}

struct MalformedCase {
  std::string name;
  json data;
};

class MalformedValuesKeyTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedValuesKeyTest, IsAnErrorNamingTheSecretAndWhatToDo) {
  FakeRestClient fake;
  json secret = KeySecret("ops", GetParam().data);
  if (GetParam().data.is_null()) secret.erase("data");
  fake.Seed(kube::resources::kSecrets, secret);

  const absl::StatusOr<std::string> key = LoadOrCreateValuesKey(fake, "ops");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition) << key.status();
  EXPECT_THAT(Message(key.status()), HasSubstr("Secret ops/werf-operator-values-key has no usable key \"key\""));
  EXPECT_THAT(Message(key.status()), HasSubstr("delete it"));
  // It is not replaced behind the operator's back: the hashes would all change.
  EXPECT_THAT(fake.requests(), ElementsAre(kGetKey));
}

INSTANTIATE_TEST_SUITE_P(
    Secrets, MalformedValuesKeyTest,
    ::testing::Values(MalformedCase{"NoData", json()}, MalformedCase{"NoKey", json{{"other", "a2V5"}}},
                      MalformedCase{"KeyNotAString", json{{"key", 42}}},
                      MalformedCase{"KeyNotBase64", json{{"key", "%%%%"}}},
                      MalformedCase{"KeyTooShort", json{{"key", absl::Base64Escape(std::string(15, 'k'))}}},
                      MalformedCase{"KeyEmpty", json{{"key", ""}}}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

}  // namespace
}  // namespace werf::controller
