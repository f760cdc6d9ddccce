// HMAC-SHA256 and token checks. The expected digests were computed with
//   printf '%s' BODY | openssl dgst -sha256 -hmac SECRET
// The first is also the example in GitHub's "Validating webhook deliveries".
#include "libs/webhook/signature.h"

#include <string>

#include "gtest/gtest.h"

namespace werf::webhook {
namespace {

constexpr char kSecret[] = "It's a Secret to Everybody";
constexpr char kBody[] = "Hello, World!";
constexpr char kDigest[] = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(HmacSha256HexTest, KnownVectors) {
  EXPECT_EQ(HmacSha256Hex(kSecret, kBody), kDigest);
  EXPECT_EQ(HmacSha256Hex("generic-secret",
                          R"({"registry":"registry.example.com:5000","repository":"team/app","tag":"v1.2.3"})"),
            "babba56dc93af5a4f31818e3b8e501a642b7310027514c4df75934d814cd612a");
  EXPECT_EQ(HmacSha256Hex("k", ""), "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620");
}

TEST(VerifyHubSignature256Test, AcceptsTheRightSignatureInEitherCase) {
  EXPECT_TRUE(VerifyHubSignature256(kSecret, kBody, std::string("sha256=") + kDigest));
  std::string upper = kDigest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyHubSignature256(kSecret, kBody, "sha256=" + upper));
  EXPECT_TRUE(VerifyHubSignature256(kSecret, kBody, std::string("SHA256=") + kDigest));
}

TEST(VerifyHubSignature256Test, RefusesEverythingElse) {
  const std::string good = std::string("sha256=") + kDigest;
  EXPECT_FALSE(VerifyHubSignature256(kSecret, "Hello, World?", good));
  EXPECT_FALSE(VerifyHubSignature256("another secret", kBody, good));
  std::string flipped = good;
  flipped.back() = flipped.back() == '7' ? '8' : '7';
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, flipped));
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, kDigest));                            // no prefix
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, std::string("sha1=") + kDigest));      // wrong scheme
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, good.substr(0, good.size() - 1)));    // short
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, good + "0"));                          // long
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, good + " "));
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, " " + good));
  std::string not_hex = good;
  not_hex[10] = 'g';
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, not_hex));
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, ""));
  EXPECT_FALSE(VerifyHubSignature256(kSecret, kBody, "sha256="));
}

TEST(VerifyHubSignature256Test, EmptySecretNeverAuthenticates) {
  const std::string empty_key_signature = "sha256=" + HmacSha256Hex("", kBody);
  EXPECT_FALSE(VerifyHubSignature256("", kBody, empty_key_signature));
  EXPECT_FALSE(VerifyHubSignature256("", "", "sha256=" + HmacSha256Hex("", "")));
}

TEST(VerifySharedTokenTest, EqualNonEmptyTokensOnly) {
  EXPECT_TRUE(VerifySharedToken("s3cr3t-token", "s3cr3t-token"));
  EXPECT_FALSE(VerifySharedToken("s3cr3t-token", "s3cr3t-tokeN"));
  EXPECT_FALSE(VerifySharedToken("s3cr3t-token", "s3cr3t-token "));
  EXPECT_FALSE(VerifySharedToken("s3cr3t-token", ""));
  EXPECT_FALSE(VerifySharedToken("", ""));
  EXPECT_FALSE(VerifySharedToken("", "anything"));
}

TEST(ConstantTimeEqualsTest, ComparesBytes) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));  // why tokens go through VerifySharedToken
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace werf::webhook
