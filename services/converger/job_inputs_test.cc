// The pure parts of reading Job inputs; the API calls are exercised on the test bed.
#include "services/converger/job_inputs.h"

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::converger {
namespace {

using nlohmann::json;

// A Secret as kube::ReadSecretIfExists returns it: the Secret object, decoded.
kube::SecretContent Secret(const json& object) {
  absl::StatusOr<kube::SecretContent> content = kube::DecodeSecret(object);
  EXPECT_TRUE(content.ok()) << content.status();
  return content.ok() ? *std::move(content) : kube::SecretContent{};
}

TEST(ValuesFromData, ReadsConfigMapsAndSecretsByOneRule) {
  const json config_map = {{"data", {{"values.yaml", "a: 1\n"}, {"other.yaml", "b: 2\n"}}},
                           {"binaryData", {{"bin.yaml", absl::Base64Escape("c: 3\n")}}}};
  const json secret = {{"data", {{"values.yaml", absl::Base64Escape("password: x\n")},
                                 {"other.yaml", absl::Base64Escape("token: y\n")}}}};
  absl::StatusOr<kube::DecodedData> config_map_data = ConfigMapData(config_map);
  ASSERT_TRUE(config_map_data.ok()) << config_map_data.status();
  const kube::DecodedData secret_data = Secret(secret).data;
  const kube::DecodedData empty;
  struct Case {
    const char* name;
    const kube::DecodedData* data;
    const char* key;
    absl::StatusCode code;
    const char* values;  // or the message
  };
  const Case cases[] = {
      {"config map default key", &*config_map_data, "", absl::StatusCode::kOk, "a: 1\n"},
      {"config map data key", &*config_map_data, "other.yaml", absl::StatusCode::kOk, "b: 2\n"},
      {"config map binaryData key", &*config_map_data, "bin.yaml", absl::StatusCode::kOk, "c: 3\n"},
      {"config map missing key", &*config_map_data, "missing.yaml", absl::StatusCode::kNotFound,
       "no key \"missing.yaml\""},
      {"secret default key", &secret_data, "", absl::StatusCode::kOk, "password: x\n"},
      {"secret named key", &secret_data, "other.yaml", absl::StatusCode::kOk, "token: y\n"},
      {"secret missing key", &secret_data, "nope", absl::StatusCode::kNotFound, "no key \"nope\""},
      {"empty object", &empty, "", absl::StatusCode::kNotFound, "no key \"values.yaml\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> values = ValuesFromData(*c.data, c.key);
    EXPECT_EQ(values.status().code(), c.code) << c.name;
    if (values.ok()) {
      EXPECT_EQ(*values, c.values) << c.name;
    } else {
      EXPECT_EQ(values.status().message(), c.values) << c.name;
    }
  }
}

TEST(ConfigMapData, BinaryDataThatIsNotBase64IsAnErrorNamingTheKey) {
  const json config_map = {{"data", {{"values.yaml", "a: 1\n"}}}, {"binaryData", {{"bin.yaml", "!!!"}}}};
  absl::StatusOr<kube::DecodedData> data = ConfigMapData(config_map);
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(data.status().message(), "binaryData key \"bin.yaml\" is not valid base64");
}

TEST(ConfigMapData, DataWinsOverBinaryDataAndNonStringsAreSkipped) {
  const json config_map = {{"data", {{"k", "text"}, {"n", 1}}}, {"binaryData", {{"k", absl::Base64Escape("bin")}}}};
  absl::StatusOr<kube::DecodedData> data = ConfigMapData(config_map);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, (kube::DecodedData{{"k", "text"}}));
}

TEST(DockerConfigFromSecret, DockerConfigJsonIsUsedAsIs) {
  const std::string config = R"({"auths":{"r.example.com":{"auth":"dTpw"}}})";
  const json secret = {{"type", "kubernetes.io/dockerconfigjson"},
                       {"data", {{".dockerconfigjson", absl::Base64Escape(config)}}}};
  EXPECT_EQ(*DockerConfigFromSecret(Secret(secret), "r.example.com/app"), config);
}

TEST(DockerConfigFromSecret, LegacyDockercfgIsWrappedInAuths) {
  const json secret = {{"type", "kubernetes.io/dockercfg"},
                       {"data", {{".dockercfg", absl::Base64Escape(R"({"r":{"auth":"dTpw"}})")}}}};
  EXPECT_EQ(json::parse(*DockerConfigFromSecret(Secret(secret), "r/app")),
            (json{{"auths", {{"r", {{"auth", "dTpw"}}}}}}));
}

TEST(DockerConfigFromSecret, BasicAuthBecomesAnAuthEntryForTheRegistryHost) {
  const json secret = {{"type", "kubernetes.io/basic-auth"},
                       {"data", {{"username", absl::Base64Escape("werf")}, {"password", absl::Base64Escape("pw")}}}};
  EXPECT_EQ(json::parse(*DockerConfigFromSecret(Secret(secret), "127.0.0.1:5000/app")),
            (json{{"auths", {{"127.0.0.1:5000", {{"auth", absl::Base64Escape("werf:pw")}}}}}}));
}

TEST(DockerConfigFromSecret, RejectsOtherSecrets) {
  const json opaque = {{"type", "Opaque"}, {"data", {{"token", absl::Base64Escape("x")}}}};
  const absl::StatusOr<std::string> config = DockerConfigFromSecret(Secret(opaque), "r/app");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), ::testing::HasSubstr("kubernetes.io/dockerconfigjson"));
  const json not_json = {{"type", "kubernetes.io/dockerconfigjson"},
                         {"data", {{".dockerconfigjson", absl::Base64Escape("{nope")}}}};
  EXPECT_FALSE(DockerConfigFromSecret(Secret(not_json), "r/app").ok());
}

}  // namespace
}  // namespace werf::converger
