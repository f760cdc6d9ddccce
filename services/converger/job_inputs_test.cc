// The pure parts of reading Job inputs; the API calls are exercised on the test bed.
#include "services/converger/job_inputs.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::converger {
namespace {

using nlohmann::json;

TEST(ValuesFromObject, ReadsConfigMapDataAndBinaryData) {
  const json config_map = {{"data", {{"values.yaml", "a: 1\n"}, {"other.yaml", "b: 2\n"}}},
                           {"binaryData", {{"bin.yaml", absl::Base64Escape("c: 3\n")}}}};
  EXPECT_EQ(*ValuesFromObject(pb::VALUES_SOURCE_KIND_CONFIG_MAP, config_map, ""), "a: 1\n");
  EXPECT_EQ(*ValuesFromObject(pb::VALUES_SOURCE_KIND_CONFIG_MAP, config_map, "other.yaml"), "b: 2\n");
  EXPECT_EQ(*ValuesFromObject(pb::VALUES_SOURCE_KIND_CONFIG_MAP, config_map, "bin.yaml"), "c: 3\n");
  EXPECT_EQ(ValuesFromObject(pb::VALUES_SOURCE_KIND_CONFIG_MAP, config_map, "missing.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ValuesFromObject, DecodesSecretData) {
  const json secret = {{"data", {{"values.yaml", absl::Base64Escape("password: x\n")}, {"bad", "!!!"}}}};
  EXPECT_EQ(*ValuesFromObject(pb::VALUES_SOURCE_KIND_SECRET, secret, ""), "password: x\n");
  EXPECT_EQ(ValuesFromObject(pb::VALUES_SOURCE_KIND_SECRET, secret, "bad").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ValuesFromObject(pb::VALUES_SOURCE_KIND_SECRET, json::object(), "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DockerConfigFromSecret, DockerConfigJsonIsUsedAsIs) {
  const std::string config = R"({"auths":{"r.example.com":{"auth":"dTpw"}}})";
  const json secret = {{"type", "kubernetes.io/dockerconfigjson"},
                       {"data", {{".dockerconfigjson", absl::Base64Escape(config)}}}};
  EXPECT_EQ(*DockerConfigFromSecret(secret, "r.example.com/app"), config);
}

TEST(DockerConfigFromSecret, LegacyDockercfgIsWrappedInAuths) {
  const json secret = {{"type", "kubernetes.io/dockercfg"},
                       {"data", {{".dockercfg", absl::Base64Escape(R"({"r":{"auth":"dTpw"}})")}}}};
  EXPECT_EQ(json::parse(*DockerConfigFromSecret(secret, "r/app")), (json{{"auths", {{"r", {{"auth", "dTpw"}}}}}}));
}

TEST(DockerConfigFromSecret, BasicAuthBecomesAnAuthEntryForTheRegistryHost) {
  const json secret = {{"type", "kubernetes.io/basic-auth"},
                       {"data", {{"username", absl::Base64Escape("werf")}, {"password", absl::Base64Escape("pw")}}}};
  EXPECT_EQ(json::parse(*DockerConfigFromSecret(secret, "127.0.0.1:5000/app")),
            (json{{"auths", {{"127.0.0.1:5000", {{"auth", absl::Base64Escape("werf:pw")}}}}}}));
}

TEST(DockerConfigFromSecret, RejectsOtherSecrets) {
  const json opaque = {{"type", "Opaque"}, {"data", {{"token", absl::Base64Escape("x")}}}};
  const absl::StatusOr<std::string> config = DockerConfigFromSecret(opaque, "r/app");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), ::testing::HasSubstr("kubernetes.io/dockerconfigjson"));
  const json not_json = {{"type", "kubernetes.io/dockerconfigjson"},
                         {"data", {{".dockerconfigjson", absl::Base64Escape("{nope")}}}};
  EXPECT_FALSE(DockerConfigFromSecret(not_json, "r/app").ok());
}

}  // namespace
}  // namespace werf::converger
