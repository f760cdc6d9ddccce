// The decoding half of the Secret reader; the reads themselves are exercised against the
// test bed (test/integration/kube/rest_client_test.cc).
#include "libs/kube/secret_reader.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::kube {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(DecodeBytesFieldTest, DecodesEveryValue) {
  const json object = {{"data", {{"a", absl::Base64Escape("one")}, {"b", absl::Base64Escape(std::string("\0\1", 2))}}}};
  absl::StatusOr<DecodedData> data = DecodeBytesField(object, "data");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_THAT(*data, ElementsAre(Pair("a", "one"), Pair("b", std::string("\0\1", 2))));
}

TEST(DecodeBytesFieldTest, AbsentOrNullIsEmpty) {
  for (const json& object : {json::object(), json{{"data", nullptr}}, json{{"other", {{"a", "b"}}}}, json()}) {
    absl::StatusOr<DecodedData> data = DecodeBytesField(object, "data");
    ASSERT_TRUE(data.ok()) << object.dump() << ": " << data.status();
    EXPECT_THAT(*data, IsEmpty()) << object.dump();
  }
}

TEST(DecodeBytesFieldTest, RefusesWhatIsNotBase64NamingTheKeyNotTheValue) {
  struct Case {
    json object;
    std::string message;
  };
  const Case cases[] = {
      {json{{"binaryData", {{"k", "!!!not-base64"}}}}, "key \"k\" is not valid base64"},
      {json{{"binaryData", {{"k", 42}}}}, "key \"k\" is not valid base64"},
      {json{{"binaryData", "aGk="}}, "\"binaryData\" is not a map"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<DecodedData> data = DecodeBytesField(c.object, "binaryData");
    EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument) << c.object.dump();
    EXPECT_EQ(data.status().message(), c.message) << c.object.dump();
    EXPECT_EQ(std::string(data.status().message()).find("not-base64"), std::string::npos);
  }
}

TEST(DecodeSecretTest, TypeAndData) {
  struct Case {
    json secret;
    std::string type;
    DecodedData data;
  };
  const Case cases[] = {
      {json{{"type", "kubernetes.io/basic-auth"},
            {"data", {{"username", absl::Base64Escape("u")}, {"password", absl::Base64Escape("p")}}}},
       "kubernetes.io/basic-auth",
       {{"password", "p"}, {"username", "u"}}},
      {json{{"data", {{"url", absl::Base64Escape("https://hooks.test/x")}}}},
       "Opaque",
       {{"url", "https://hooks.test/x"}}},
      {json{{"type", "Opaque"}}, "Opaque", {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SecretContent> content = DecodeSecret(c.secret);
    ASSERT_TRUE(content.ok()) << c.secret.dump() << ": " << content.status();
    EXPECT_EQ(content->type, c.type) << c.secret.dump();
    EXPECT_EQ(content->data, c.data) << c.secret.dump();
  }
}

TEST(DecodeSecretTest, MalformedDataIsAnError) {
  absl::StatusOr<SecretContent> content = DecodeSecret(json{{"data", {{"ok", "aGk="}, {"bad", "%%"}}}});
  EXPECT_EQ(content.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(content.status().message(), "key \"bad\" is not valid base64");
}

}  // namespace
}  // namespace werf::kube
