#include "services/converger/redaction.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::converger {
namespace {

namespace pb = ::werf::operator_::v1;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactionTest, YamlScalarsAndTheirBase64AreRedacted) {
  const std::vector<std::string> secrets = SecretStrings("db:\n  password: hunter2-s3cret\n  port: 5432\n");
  const std::string log = "Error: template: values.db.password=hunter2-s3cret is wrong; b64 " +
                          absl::Base64Escape("hunter2-s3cret") + "; port 5432";
  const std::string redacted = Redact(log, secrets);
  EXPECT_THAT(redacted, Not(HasSubstr("hunter2-s3cret")));
  EXPECT_THAT(redacted, Not(HasSubstr(absl::Base64Escape("hunter2-s3cret"))));
  EXPECT_THAT(redacted, HasSubstr("password=[redacted]"));
  EXPECT_THAT(redacted, HasSubstr("port 5432")) << "short scalars are left alone";
}

TEST(RedactionTest, DockerConfigAuthPartsAreRedacted) {
  const std::string auth = absl::Base64Escape("robot:p4ssw0rd-xyz");
  const std::vector<std::string> secrets =
      SecretStrings(R"({"auths":{"registry.example.com":{"auth":")" + auth + R"("}}})");
  const std::string redacted =
      Redact("pull failed: user robot:p4ssw0rd-xyz, token p4ssw0rd-xyz, header Basic " + auth, secrets);
  EXPECT_THAT(redacted, Not(HasSubstr("p4ssw0rd-xyz")));
  EXPECT_THAT(redacted, Not(HasSubstr(auth)));
}

TEST(RedactionTest, OnlyKeysNamedSecretInTheJobSecretAreUsed) {
  const nlohmann::json job_secret = {
      {"metadata", {{"annotations", {{kSecretKeysAnnotation, "values-1.yaml"}}}}},
      {"data",
       {{"values-0.yaml", absl::Base64Escape("image: registry.example.com/app\n")},
        {"values-1.yaml", absl::Base64Escape("token: abcdef123456\n")}}}};
  const std::vector<std::string> secrets = SecretStringsOfJobSecret(job_secret);
  const std::string redacted = Redact("using registry.example.com/app with token abcdef123456", secrets);
  EXPECT_EQ(redacted, "using registry.example.com/app with token [redacted]");
}

TEST(RedactionTest, ObservationTextIsRedacted) {
  pb::JobObservation observation;
  observation.set_log_tail("Error: secret value topsecret-1 printed");
  observation.set_message("failed: topsecret-1");
  observation.mutable_deploy_report()->set_raw_json(R"({"failed":"topsecret-1"})");
  RedactObservation(observation, SecretStrings("key: topsecret-1"));
  EXPECT_EQ(observation.log_tail(), "Error: secret value [redacted] printed");
  EXPECT_EQ(observation.message(), "failed: [redacted]");
  EXPECT_THAT(observation.deploy_report().raw_json(), Not(HasSubstr("topsecret-1")));
}

TEST(RedactionTest, NotYamlStillRedactsWholeLines) {
  const std::vector<std::string> secrets = SecretStrings("{{not: yaml\nline-two-secret");
  EXPECT_EQ(Redact("x line-two-secret y", secrets), "x [redacted] y");
}

// nelm soft-wraps long log lines with " \u21b5" and a line break, also inside a word, so a
// value it prints may reach the log cut in two (or three) pieces.
TEST(RedactionTest, ASecretCutByNelmsSoftWrapIsRedacted) {
  const std::vector<std::string> secrets = SecretStrings("token: tok-s3cr3t-0123456789\nphrase: open sesame now\n");
  // Inside the value, with and without the spaces nelm pads the mark with.
  EXPECT_EQ(Redact("refusing to deploy with token tok-s3cr3t- \u21b5\n0123456789 now", secrets),
            "refusing to deploy with token [redacted] \u21b5\n now");
  EXPECT_EQ(Redact("token tok-s3c\u21b5\nr3t-01234 \u21b5\n56789.", secrets), "token [redacted] \u21b5\n.");
  // In place of a space of the value.
  EXPECT_EQ(Redact("said open \u21b5\nsesame now!", secrets), "said [redacted] \u21b5\n!");
  // Its base64 form, cut as well.
  const std::string b64 = absl::Base64Escape("tok-s3cr3t-0123456789");
  const std::string cut = b64.substr(0, 10) + " \u21b5\n" + b64.substr(10);
  EXPECT_THAT(Redact("b64 " + cut, secrets), Not(HasSubstr(b64.substr(10))));
  // What only looks alike stays.
  EXPECT_EQ(Redact("tok-s3cr3t- \u21b5\nXYZ", secrets), "tok-s3cr3t- \u21b5\nXYZ");
  EXPECT_EQ(Redact("nothing \u21b5\nsecret here", secrets), "nothing \u21b5\nsecret here");
}

}  // namespace
}  // namespace werf::converger
