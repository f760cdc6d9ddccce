#include "libs/oci/docker_config.h"

#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "nlohmann/json.hpp"

namespace werf::oci {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::werf::status_testing::Message;

std::string Auth(absl::string_view user_password) { return absl::Base64Escape(user_password); }

RepositoryRef Ref(absl::string_view reference) { return RepositoryRef::Parse(reference).value(); }

struct MatchCase {
  std::string name{};
  std::string config{};     // .dockerconfigjson
  std::string reference{};  // repository looked up
  std::optional<Credentials> expected{};
};

class DockerConfigFindTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(DockerConfigFindTest, Matches) {
  ASSERT_OK_AND_ASSIGN(DockerConfig config, DockerConfig::Parse(GetParam().config));
  ASSERT_OK_AND_ASSIGN(std::optional<Credentials> found, config.Find(Ref(GetParam().reference)));
  ASSERT_EQ(found.has_value(), GetParam().expected.has_value());
  if (found.has_value()) {
    EXPECT_EQ(found->username, GetParam().expected->username);
    EXPECT_EQ(found->password, GetParam().expected->password);
    EXPECT_EQ(found->identity_token, GetParam().expected->identity_token);
    EXPECT_EQ(found->registry_token, GetParam().expected->registry_token);
  }
}

Credentials UserPassword(std::string user, std::string password) {
  return Credentials{.username = std::move(user), .password = std::move(password)};
}

std::string Config(absl::string_view auths) { return absl::StrCat(R"({"auths":{)", auths, "}}"); }

INSTANTIATE_TEST_SUITE_P(
    Configs, DockerConfigFindTest,
    ::testing::Values(
        MatchCase{"HostKey", Config(absl::StrCat(R"("r.example.com":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/team/app", UserPassword("u", "p")},
        MatchCase{"HostKeyIsCaseInsensitive", Config(absl::StrCat(R"("R.Example.COM":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/team/app", UserPassword("u", "p")},
        MatchCase{"HostWithPort", Config(absl::StrCat(R"("r.example.com:5000":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com:5000/app", UserPassword("u", "p")},
        MatchCase{"PortMustMatch", Config(absl::StrCat(R"("r.example.com:5000":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/app", std::nullopt},
        MatchCase{"HttpsUrlKey", Config(absl::StrCat(R"("https://r.example.com/":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/app", UserPassword("u", "p")},
        MatchCase{"HttpUrlKeyWithV2", Config(absl::StrCat(R"("http://r.example.com/v2/":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/app", UserPassword("u", "p")},
        MatchCase{"DockerHubLegacyUrl",
                  Config(absl::StrCat(R"("https://index.docker.io/v1/":{"auth":")", Auth("hub:pw"), R"("})")),
                  "nginx", UserPassword("hub", "pw")},
        MatchCase{"DockerHubShortKey", Config(absl::StrCat(R"("docker.io":{"auth":")", Auth("hub:pw"), R"("})")),
                  "index.docker.io/team/app", UserPassword("hub", "pw")},
        MatchCase{"DockerHubRegistry1Key",
                  Config(absl::StrCat(R"("registry-1.docker.io":{"auth":")", Auth("hub:pw"), R"("})")),
                  "team/app", UserPassword("hub", "pw")},
        MatchCase{"UsernamePassword", Config(R"("r.example.com":{"username":"u","password":"p"})"),
                  "r.example.com/app", UserPassword("u", "p")},
        MatchCase{"AuthWinsOverUsername",
                  Config(absl::StrCat(R"("r.example.com":{"username":"x","password":"y","auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/app", UserPassword("u", "p")},
        MatchCase{"PasswordWithColons", Config(absl::StrCat(R"("r.example.com":{"auth":")", Auth("u:p:a:ss"), R"("})")),
                  "r.example.com/app", UserPassword("u", "p:a:ss")},
        MatchCase{"AuthWithoutPadding", Config(R"("r.example.com":{"auth":"dTpwdw"})"), "r.example.com/app",
                  UserPassword("u", "pw")},
        MatchCase{"IdentityToken",
                  Config(absl::StrCat(R"("r.example.com":{"auth":")", Auth("<token>:"), R"(","identitytoken":"refresh-me"})")),
                  "r.example.com/app",
                  Credentials{.username = "<token>", .password = "", .identity_token = "refresh-me"}},
        MatchCase{"RegistryToken", Config(R"("r.example.com":{"registrytoken":"bearer-me"})"), "r.example.com/app",
                  Credentials{.registry_token = "bearer-me"}},
        MatchCase{"LongestPathPrefixWins",
                  Config(absl::StrCat(R"("r.example.com":{"auth":")", Auth("all:1"), R"("},)",
                                      R"("r.example.com/team":{"auth":")", Auth("team:2"), R"("},)",
                                      R"("r.example.com/team/app":{"auth":")", Auth("app:3"), R"("})")),
                  "r.example.com/team/app", UserPassword("app", "3")},
        MatchCase{"PathPrefixIsPerComponent",
                  Config(absl::StrCat(R"("r.example.com":{"auth":")", Auth("all:1"), R"("},)",
                                      R"("r.example.com/team":{"auth":")", Auth("team:2"), R"("})")),
                  "r.example.com/teammate/app", UserPassword("all", "1")},
        MatchCase{"PathPrefixNotMatching", Config(absl::StrCat(R"("r.example.com/team":{"auth":")", Auth("t:2"), R"("})")),
                  "r.example.com/other", std::nullopt},
        MatchCase{"CredentialHelperStubSkipped",
                  Config(absl::StrCat(R"("r.example.com/team":{},"r.example.com":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/team/app", UserPassword("u", "p")},
        MatchCase{"OtherRegistry", Config(absl::StrCat(R"("other.example.com":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/app", std::nullopt},
        MatchCase{"SuffixIsNotAMatch", Config(absl::StrCat(R"("example.com":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/app", std::nullopt},
        MatchCase{"NoAuths", R"({"credsStore":"desktop"})", "r.example.com/app", std::nullopt},
        MatchCase{"EmptyAuths", R"({"auths":{}})", "r.example.com/app", std::nullopt},
        MatchCase{"MalformedEntryForAnotherRegistryIgnored",
                  Config(absl::StrCat(R"("other.io":{"auth":"!!!"},"r.example.com":{"auth":")", Auth("u:p"), R"("})")),
                  "r.example.com/app", UserPassword("u", "p")}),
    [](const ::testing::TestParamInfo<MatchCase>& info) { return info.param.name; });

struct MalformedCase {
  std::string name{};
  std::string config{};
  std::string message{};
};

class DockerConfigMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(DockerConfigMalformedTest, ReportsWithoutLeakingSecrets) {
  absl::StatusOr<DockerConfig> config = DockerConfig::Parse(GetParam().config);
  absl::Status status = config.status();
  if (config.ok()) status = config->Find(Ref("r.example.com/app")).status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr(GetParam().message));
  EXPECT_THAT(Message(status), Not(HasSubstr("s3cret")));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, DockerConfigMalformedTest,
    ::testing::Values(
        MalformedCase{"NotJson", "{not json", "not a JSON object"},
        MalformedCase{"NotAnObject", "[1,2]", "not a JSON object"},
        MalformedCase{"AuthsNotAnObject", R"({"auths":[]})", "\"auths\""},
        MalformedCase{"AuthNotBase64", Config(R"("r.example.com":{"auth":"s3cret!!"})"), "not base64 of username:password"},
        MalformedCase{"AuthWithoutColon", Config(absl::StrCat(R"("r.example.com":{"auth":")", Auth("s3cret"), R"("})")),
                      "not base64 of username:password"},
        MalformedCase{"PasswordNotString", Config(R"("r.example.com":{"username":"u","password":123})"),
                      "\"password\" is not a string"},
        MalformedCase{"EntryNotObject", Config(R"("r.example.com":"s3cret")"), "not a JSON object"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST(CredentialsFromSecretTest, DockerConfigJsonSecret) {
  SecretData data{{".dockerconfigjson", Config(absl::StrCat(R"("r.example.com":{"auth":")", Auth("u:p"), R"("})"))}};
  ASSERT_OK_AND_ASSIGN(std::optional<Credentials> found,
                       CredentialsFromSecret(kDockerConfigJsonSecretType, data, Ref("r.example.com/app")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->username, "u");
  ASSERT_OK_AND_ASSIGN(std::optional<Credentials> none,
                       CredentialsFromSecret(kDockerConfigJsonSecretType, data, Ref("other.io/app")));
  EXPECT_FALSE(none.has_value());
}

TEST(CredentialsFromSecretTest, LegacyDockerCfgSecret) {
  SecretData data{{".dockercfg", absl::StrCat(R"({"https://index.docker.io/v1/":{"auth":")", Auth("u:p"), R"("}})")}};
  ASSERT_OK_AND_ASSIGN(std::optional<Credentials> found, CredentialsFromSecret(kDockerCfgSecretType, data, Ref("nginx")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->password, "p");
}

TEST(CredentialsFromSecretTest, BasicAuthSecretAppliesToAnyRegistry) {
  SecretData data{{"username", "u"}, {"password", "p:with:colons"}};
  ASSERT_OK_AND_ASSIGN(std::optional<Credentials> found,
                       CredentialsFromSecret(kBasicAuthSecretType, data, Ref("r.example.com/app")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->username, "u");
  EXPECT_EQ(found->password, "p:with:colons");
}

TEST(CredentialsFromSecretTest, OpaqueSecretIsReadByItsKeys) {
  ASSERT_OK_AND_ASSIGN(std::optional<Credentials> basic,
                       CredentialsFromSecret("Opaque", {{"username", "u"}, {"password", "p"}}, Ref("r.example.com/app")));
  EXPECT_TRUE(basic.has_value());
  ASSERT_OK_AND_ASSIGN(
      std::optional<Credentials> docker,
      CredentialsFromSecret("Opaque", {{".dockerconfigjson", Config(R"("r.example.com":{"username":"d","password":"p"})")}},
                            Ref("r.example.com/app")));
  ASSERT_TRUE(docker.has_value());
  EXPECT_EQ(docker->username, "d");
}

TEST(CredentialsFromSecretTest, ExplainsUnusableSecrets) {
  absl::StatusOr<std::optional<Credentials>> missing_key =
      CredentialsFromSecret(kDockerConfigJsonSecretType, {{"config.json", "{}"}}, Ref("r.example.com/app"));
  EXPECT_THAT(Message(missing_key.status()), HasSubstr("must have the key .dockerconfigjson"));
  absl::StatusOr<std::optional<Credentials>> no_username =
      CredentialsFromSecret(kBasicAuthSecretType, {{"password", "s3cret"}}, Ref("r.example.com/app"));
  EXPECT_THAT(Message(no_username.status()), HasSubstr("no username"));
  absl::StatusOr<std::optional<Credentials>> unknown =
      CredentialsFromSecret("Opaque", {{"token", "s3cret"}}, Ref("r.example.com/app"));
  EXPECT_THAT(Message(unknown.status()), HasSubstr("holds no registry credentials"));
}

TEST(CredentialsTest, IdentityNamesTheUserButNotTheSecret) {
  const Credentials a{.username = "u", .password = "s3cret"};
  const Credentials b{.username = "u", .password = "other"};
  EXPECT_EQ(Credentials{}.Identity(), "anonymous");
  EXPECT_THAT(a.Identity(), HasSubstr("user:u#"));
  EXPECT_THAT(a.Identity(), Not(HasSubstr("s3cret")));
  EXPECT_NE(a.Identity(), b.Identity());
  EXPECT_EQ(a.Identity(), (Credentials{.username = "u", .password = "s3cret"}).Identity());
  EXPECT_NE((Credentials{.identity_token = "t"}).Identity(), (Credentials{.registry_token = "t"}).Identity());
}

TEST(DockerConfigAuthKeyTest, IsTheHostOrDockerHubsIndexUrl) {
  const struct {
    const char* repository;
    const char* key;
  } kCases[] = {
      {"registry.example.com/team/app", "registry.example.com"},
      {"127.0.0.1:5000/app", "127.0.0.1:5000"},
      {"localhost/app", "localhost"},
      {"library/nginx", "https://index.docker.io/v1/"},
      {"nginx", "https://index.docker.io/v1/"},
      {"index.docker.io/team/app", "https://index.docker.io/v1/"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<RepositoryRef> repository = RepositoryRef::Parse(c.repository);
    ASSERT_TRUE(repository.ok()) << c.repository;
    EXPECT_EQ(DockerConfigAuthKey(*repository), c.key) << c.repository;
  }
}

TEST(DockerConfigJsonFromSecretTest, EachSecretKindBecomesADockerConfig) {
  absl::StatusOr<RepositoryRef> repository = RepositoryRef::Parse("r.example.com/app");
  ASSERT_TRUE(repository.ok());
  const std::string config = R"({"auths":{"r.example.com":{"auth":"dTpw"}}})";
  EXPECT_EQ(*DockerConfigJsonFromSecret(kDockerConfigJsonSecretType, {{".dockerconfigjson", config}}, *repository),
            config);
  EXPECT_EQ(nlohmann::json::parse(*DockerConfigJsonFromSecret(kDockerCfgSecretType,
                                                              {{".dockercfg", R"({"r":{"auth":"dTpw"}})"}}, *repository)),
            nlohmann::json::parse(R"({"auths":{"r":{"auth":"dTpw"}}})"));
  EXPECT_EQ(nlohmann::json::parse(*DockerConfigJsonFromSecret(
                "Opaque", {{"username", "werf"}, {"password", "pw"}}, *repository)),
            nlohmann::json::parse(R"({"auths":{"r.example.com":{"auth":"d2VyZjpwdw=="}}})"));
  EXPECT_FALSE(DockerConfigJsonFromSecret(kDockerConfigJsonSecretType, {{".dockerconfigjson", "{nope"}}, *repository).ok());
  EXPECT_FALSE(DockerConfigJsonFromSecret("Opaque", {{"token", "x"}}, *repository).ok());
}

}  // namespace
}  // namespace werf::oci
