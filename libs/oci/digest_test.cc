// SHA-256 against known vectors, and the OCI digest grammar: algorithm components of
// [a-z0-9] joined by one of [+._-], an encoded part of [a-zA-Z0-9=_-], and exact
// lowercase hex lengths for the two registered algorithms.
#include "libs/oci/digest.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::oci {
namespace {

using status_testing::Message;
using ::testing::HasSubstr;

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha256);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Digest(""), std::string("sha256:") + kEmptySha256);
  EXPECT_EQ(Sha256Hex(std::string("a\0b", 3)), Sha256Hex(std::string("a\0b", 3)));
  EXPECT_NE(Sha256Hex(std::string("a\0b", 3)), Sha256Hex("a")) << "binary data is hashed whole";
}

TEST(Sha256Test, ItsDigestsAreValid) {
  EXPECT_OK(ValidateDigest(Sha256Digest("any manifest")));
}

class ValidDigestTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidDigestTest, IsAccepted) { EXPECT_OK(ValidateDigest(GetParam())); }

INSTANTIATE_TEST_SUITE_P(
    Grammar, ValidDigestTest,
    ::testing::Values(std::string("sha256:") + kEmptySha256, "sha512:" + std::string(128, 'a'),
                      // The OCI image spec's own examples of other algorithms.
                      "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
                      "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "md5:ABCdef=09",
                      "a.b_c-d:x"));

struct InvalidDigestCase {
  std::string name;
  std::string digest;
  std::string message;
};

class InvalidDigestTest : public ::testing::TestWithParam<InvalidDigestCase> {};

TEST_P(InvalidDigestTest, IsInvalidArgumentQuotingIt) {
  const absl::Status status = ValidateDigest(GetParam().digest);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(Message(status), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, InvalidDigestTest,
    ::testing::Values(
        InvalidDigestCase{"NoColon", "sha256", "digest \"sha256\" is not algorithm:hex"},
        InvalidDigestCase{"Empty", "", "digest \"\" is not algorithm:hex"},
        InvalidDigestCase{"NoAlgorithm", ":abc", "digest \":abc\" is malformed"},
        InvalidDigestCase{"NoEncoded", "sha256:", "digest \"sha256:\" is malformed"},
        InvalidDigestCase{"UppercaseAlgorithm", std::string("SHA256:") + kEmptySha256, "is malformed"},
        InvalidDigestCase{"LeadingSeparator", "+sha:abc", "is malformed"},
        InvalidDigestCase{"TrailingSeparator", "sha-:abc", "is malformed"},
        InvalidDigestCase{"DoubleSeparator", "sha..b:abc", "is malformed"},
        InvalidDigestCase{"EncodedWithSlash", "md5:ab/cd", "is malformed"},
        InvalidDigestCase{"EncodedWithColon", "md5:ab:cd", "is malformed"},
        InvalidDigestCase{"Sha256TooShort", "sha256:" + std::string(63, 'a'), "is malformed"},
        InvalidDigestCase{"Sha256TooLong", "sha256:" + std::string(65, 'a'), "is malformed"},
        InvalidDigestCase{"Sha256UppercaseHex", "sha256:" + std::string(64, 'A'), "is malformed"},
        InvalidDigestCase{"Sha256NotHex", "sha256:" + std::string(64, 'g'), "is malformed"},
        InvalidDigestCase{"Sha512OfSha256Length", std::string("sha512:") + kEmptySha256, "is malformed"},
        InvalidDigestCase{"ControlCharactersEscaped", "sha256:\n", "digest \"sha256:\\n\" is malformed"}),
    [](const ::testing::TestParamInfo<InvalidDigestCase>& info) { return info.param.name; });

TEST(ValidateDigestTest, QuotesAtMostTheFirst200Characters) {
  const std::string digest = "md5:" + std::string(300, '/');
  const absl::Status status = ValidateDigest(digest);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("md5:" + std::string(196, '/') + "\" is malformed"));
  EXPECT_LT(status.message().size(), 250u);
}

}  // namespace
}  // namespace werf::oci
