// RegistryAccessReader against the fake API server: credentials from a basic-auth
// Secret, kept per assignment key until the Secrets' version changes, and the
// registry client's error classes for what reading them reports.
#include "libs/hub/registry_access_reader.h"

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/testing/fake_rest_client.h"
#include "libs/oci/errors.h"

namespace werf::hub {
namespace {

namespace pb = ::werf::operator_::v1;
using nlohmann::json;
using ::testing::HasSubstr;
using kube::testing::ApiError;
using kube::testing::FakeRestClient;
using kube::testing::Verb;

json BasicAuth(const std::string& username) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "kubernetes.io/basic-auth"},
          {"metadata", {{"name", "creds"}, {"namespace", "apps"}}},
          {"data", {{"username", absl::Base64Escape(username)}, {"password", absl::Base64Escape("pw")}}}};
}

pb::TrackRepository Track(const std::string& secrets_version) {
  pb::TrackRepository track;
  track.set_key("apps/app");
  track.set_repository("r.example.com/app");
  track.mutable_access()->mutable_credentials_secret()->set_namespace_("apps");
  track.mutable_access()->mutable_credentials_secret()->set_name("creds");
  track.mutable_access()->set_secrets_version(secrets_version);
  return track;
}

TEST(RegistryAccessReaderTest, KeepsWhatItReadUntilTheSecretsVersionChanges) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->Seed(kube::resources::kSecrets, BasicAuth("werf"));
  RegistryAccessReader reader(fake);

  absl::StatusOr<oci::RegistryAccess> access = reader.Read(Track("v1"));
  ASSERT_TRUE(access.ok()) << access.status();
  ASSERT_TRUE(access->credentials.has_value());
  EXPECT_EQ(access->credentials->username, "werf");
  // The Secret rotates; until the controller's watch says so, the kept copy serves.
  fake->Seed(kube::resources::kSecrets, BasicAuth("rotated"));
  access = reader.Read(Track("v1"));
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->credentials->username, "werf");
  EXPECT_EQ(fake->requests(Verb::kGet).size(), 1u);

  access = reader.Read(Track("v2"));
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->credentials->username, "rotated");
  EXPECT_EQ(fake->requests(Verb::kGet).size(), 2u);
  EXPECT_EQ(reader.secret_reads(), 2);
}

TEST(RegistryAccessReaderTest, WithoutAVersionReadsEveryTime) {
  auto fake = std::make_shared<FakeRestClient>();
  fake->Seed(kube::resources::kSecrets, BasicAuth("werf"));
  RegistryAccessReader reader(fake);
  ASSERT_TRUE(reader.Read(Track("")).ok());
  ASSERT_TRUE(reader.Read(Track("")).ok());
  EXPECT_EQ(fake->requests(Verb::kGet).size(), 2u);
}

struct FailureCase {
  std::string name;
  std::function<void(FakeRestClient&)> arrange;
  oci::ErrorReason reason;
  std::string mention;
};

class RegistryAccessReaderFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(RegistryAccessReaderFailureTest, ClassifiesForTheRegistryClient) {
  auto fake = std::make_shared<FakeRestClient>();
  GetParam().arrange(*fake);
  RegistryAccessReader reader(fake, "the poller");
  const absl::StatusOr<oci::RegistryAccess> access = reader.Read(Track("v1"));
  ASSERT_FALSE(access.ok());
  EXPECT_EQ(oci::ClassifyError(access.status()), GetParam().reason) << access.status();
  EXPECT_THAT(std::string(access.status().message()), HasSubstr(GetParam().mention));
  // A failed read is not kept.
  EXPECT_FALSE(reader.Read(Track("v1")).ok());
  EXPECT_EQ(fake->requests(Verb::kGet).size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RegistryAccessReaderFailureTest,
    ::testing::Values(
        FailureCase{.name = "MissingSecret",
                    .arrange = [](FakeRestClient&) {},
                    .reason = oci::ErrorReason::kCredentials,
                    .mention = "\"creds\""},
        FailureCase{.name = "Forbidden",
                    .arrange = [](FakeRestClient& fake) { fake.FailNext(Verb::kGet, ApiError(403, "Forbidden"), 2); },
                    .reason = oci::ErrorReason::kCredentials,
                    .mention = "the poller"},
        FailureCase{.name = "ApiServerDown",
                    .arrange =
                        [](FakeRestClient& fake) { fake.FailNext(Verb::kGet, ApiError(503, "ServiceUnavailable"), 2); },
                    .reason = oci::ErrorReason::kUnavailable,
                    .mention = "\"creds\""}),
    [](const ::testing::TestParamInfo<FailureCase>& info) { return info.param.name; });

}  // namespace
}  // namespace werf::hub
