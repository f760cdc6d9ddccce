// ReadJobInputs against the fake API server: which sources are read from where, which
// may be missing, and what the bundle's status says when one must not be. Messages are
// asserted by the names they must carry (object, namespace, spec field), not wording.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/api_error.h"
#include "libs/kube/testing/fake_rest_client.h"
#include "services/converger/job_inputs.h"

namespace werf::converger {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using kube::testing::ApiError;
using kube::testing::FakeRestClient;
using kube::testing::Verb;

json ConfigMap(const std::string& ns, const std::string& name, json data) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", std::move(data)}};
}

json Secret(const std::string& ns, const std::string& name, const std::string& type, json data) {
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", type},
          {"metadata", {{"name", name}, {"namespace", ns}}}, {"data", std::move(data)}};
}

pb::ConvergeRequest Request() {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_("apps");
  request.mutable_bundle()->set_name("app");
  request.set_repository("r.example.com/app");
  return request;
}

void AddSource(pb::ConvergeRequest& request, pb::ValuesSourceKind kind, const std::string& name,
               bool optional = false, const std::string& key = "", const std::string& ns = "") {
  pb::ValuesSource* source = request.add_values_from();
  source->set_kind(kind);
  source->mutable_object()->set_name(name);
  if (!ns.empty()) source->mutable_object()->set_namespace_(ns);
  source->set_key(key);
  source->set_optional(optional);
}

class ReadJobInputsTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeRestClient> fake_ = std::make_shared<FakeRestClient>();
};

TEST_F(ReadJobInputsTest, ReadsValuesInOrderFromTheBundlesNamespaceUnlessTheSourceNamesOne) {
  fake_->Seed(kube::resources::kConfigMaps, ConfigMap("apps", "base", {{"values.yaml", "a: 1\n"}}));
  fake_->Seed(kube::resources::kSecrets,
              Secret("apps", "secret-values", "Opaque", {{"prod.yaml", absl::Base64Escape("password: x\n")}}));
  fake_->Seed(kube::resources::kConfigMaps, ConfigMap("shared", "common", {{"values.yaml", "c: 3\n"}}));
  pb::ConvergeRequest request = Request();
  AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "base");
  AddSource(request, pb::VALUES_SOURCE_KIND_SECRET, "secret-values", false, "prod.yaml");
  AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "common", false, "", "shared");

  const absl::StatusOr<JobInputs> inputs = ReadJobInputs(*fake_, request);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  EXPECT_THAT(inputs->values, ElementsAre("a: 1\n", "password: x\n", "c: 3\n"));
  EXPECT_THAT(inputs->values_from_secret, ElementsAre(false, true, false));
  EXPECT_TRUE(inputs->docker_config_json.empty());
  EXPECT_TRUE(inputs->registry_ca_pem.empty());
}

TEST_F(ReadJobInputsTest, SkipsAMissingOptionalSourceOrKey) {
  fake_->Seed(kube::resources::kConfigMaps, ConfigMap("apps", "present", {{"values.yaml", "a: 1\n"}}));
  pb::ConvergeRequest request = Request();
  AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "absent", /*optional=*/true);
  AddSource(request, pb::VALUES_SOURCE_KIND_SECRET, "absent-secret", /*optional=*/true);
  AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "present", /*optional=*/true, "other.yaml");
  AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "present");

  const absl::StatusOr<JobInputs> inputs = ReadJobInputs(*fake_, request);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  EXPECT_THAT(inputs->values, ElementsAre("a: 1\n"));
}

struct FailureCase {
  std::string name;
  std::function<void(FakeRestClient&, pb::ConvergeRequest&)> arrange;
  absl::StatusCode code;
  std::vector<std::string> mentions;  // names the message must carry
  int http_code = 0;  // an API error's, still there under the context added (kube::HttpCode)
};

class ReadJobInputsFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(ReadJobInputsFailureTest, NamesTheObjectAndTheField) {
  auto fake = std::make_shared<FakeRestClient>();
  pb::ConvergeRequest request = Request();
  GetParam().arrange(*fake, request);
  const absl::StatusOr<JobInputs> inputs = ReadJobInputs(*fake, request);
  ASSERT_FALSE(inputs.ok());
  EXPECT_EQ(inputs.status().code(), GetParam().code) << inputs.status();
  for (const std::string& mention : GetParam().mentions) {
    EXPECT_THAT(std::string(inputs.status().message()), HasSubstr(mention));
  }
  EXPECT_EQ(kube::HttpCode(inputs.status()), GetParam().http_code) << inputs.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReadJobInputsFailureTest,
    ::testing::Values(
        FailureCase{.name = "MissingRequiredConfigMap",
                    .arrange =
                        [](FakeRestClient& fake, pb::ConvergeRequest& request) {
                          fake.Seed(kube::resources::kConfigMaps, ConfigMap("apps", "base", {{"values.yaml", "a"}}));
                          AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "base");
                          AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "overrides");
                        },
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"ConfigMap", "\"overrides\"", "\"apps\"", "spec.converge.valuesFrom[1]"}},
        FailureCase{.name = "MissingRequiredKey",
                    .arrange =
                        [](FakeRestClient& fake, pb::ConvergeRequest& request) {
                          fake.Seed(kube::resources::kConfigMaps, ConfigMap("apps", "base", {{"values.yaml", "a"}}));
                          AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "base", false, "prod.yaml");
                        },
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"\"base\"", "prod.yaml", "spec.converge.valuesFrom[0]"}},
        FailureCase{.name = "ForbiddenSource",
                    .arrange =
                        [](FakeRestClient& fake, pb::ConvergeRequest& request) {
                          fake.FailNext(Verb::kGet, ApiError(403, "Forbidden"));
                          AddSource(request, pb::VALUES_SOURCE_KIND_CONFIG_MAP, "base", /*optional=*/true);
                        },
                    .code = absl::StatusCode::kPermissionDenied,
                    .mentions = {"\"base\"", "\"apps\""},
                    .http_code = 403},
        FailureCase{.name = "MissingCredentialsSecret",
                    .arrange =
                        [](FakeRestClient&, pb::ConvergeRequest& request) {
                          request.mutable_access()->mutable_credentials_secret()->set_name("registry-creds");
                        },
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"\"registry-creds\"", "\"apps\"", "spec.registry.secretRef"}},
        FailureCase{.name = "CredentialsSecretOfTheWrongType",
                    .arrange =
                        [](FakeRestClient& fake, pb::ConvergeRequest& request) {
                          fake.Seed(kube::resources::kSecrets,
                                    Secret("apps", "registry-creds", "Opaque", {{"token", absl::Base64Escape("x")}}));
                          request.mutable_access()->mutable_credentials_secret()->set_name("registry-creds");
                        },
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"\"registry-creds\""}},
        FailureCase{.name = "CaSecretWithoutCaCrt",
                    .arrange =
                        [](FakeRestClient& fake, pb::ConvergeRequest& request) {
                          fake.Seed(kube::resources::kSecrets,
                                    Secret("certs", "registry-ca", "Opaque", {{"tls.crt", absl::Base64Escape("x")}}));
                          request.mutable_access()->mutable_ca_secret()->set_name("registry-ca");
                          request.mutable_access()->mutable_ca_secret()->set_namespace_("certs");
                        },
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"\"registry-ca\"", "\"certs\"", "ca.crt"}},
        FailureCase{.name = "CaSecretWhoseCaCrtIsNoPemBundle",
                    .arrange =
                        [](FakeRestClient& fake, pb::ConvergeRequest& request) {
                          fake.Seed(kube::resources::kSecrets,
                                    Secret("certs", "registry-ca", "Opaque",
                                           {{"ca.crt", absl::Base64Escape("not a certificate\n")}}));
                          request.mutable_access()->mutable_ca_secret()->set_name("registry-ca");
                          request.mutable_access()->mutable_ca_secret()->set_namespace_("certs");
                        },
                    .code = absl::StatusCode::kFailedPrecondition,
                    .mentions = {"\"registry-ca\"", "\"certs\"", "ca.crt", "spec.registry.caSecretRef"}}),
    [](const ::testing::TestParamInfo<FailureCase>& info) { return info.param.name; });

TEST_F(ReadJobInputsTest, ReadsTheDockerConfigFromTheCredentialsSecret) {
  const std::string config = R"({"auths":{"r.example.com":{"auth":"dTpw"}}})";
  fake_->Seed(kube::resources::kSecrets, Secret("apps", "registry-creds", "kubernetes.io/dockerconfigjson",
                                               {{".dockerconfigjson", absl::Base64Escape(config)}}));
  pb::ConvergeRequest request = Request();
  request.mutable_access()->mutable_credentials_secret()->set_name("registry-creds");

  const absl::StatusOr<JobInputs> inputs = ReadJobInputs(*fake_, request);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  EXPECT_EQ(inputs->docker_config_json, config);
  EXPECT_THAT(fake_->requests(Verb::kGet),
              ElementsAre(kube::testing::Request{
                  .verb = Verb::kGet, .resource = "secrets", .ns = "apps", .name = "registry-creds"}));
}

}  // namespace
}  // namespace werf::converger
