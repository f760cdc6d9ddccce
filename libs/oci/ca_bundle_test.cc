// ValidateCaBundle on PEM text: certificates (and the text between them that CA bundle
// files carry) are accepted; no certificate, or a broken one anywhere, is an error that
// says how many good ones came before it.
#include "libs/oci/ca_bundle.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::oci {
namespace {

using status_testing::Message;
using ::testing::HasSubstr;

// Two self-signed EC certificates (openssl req -x509 -newkey ec), as static test data.
constexpr char kFirst[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBiTCCAS+gAwIBAgIUdJkTAvUB/hu+cAlDWFpZz2dWmVIwCgYIKoZIzj0EAwIw\n"
    "GTEXMBUGA1UEAwwOd2VyZi10ZXN0LWNhLTEwIBcNMjYxMjAzMTc1NzIwWhgPMjEy\n"
    "NjExMDkxNzU3MjBaMBkxFzAVBgNVBAMMDndlcmYtdGVzdC1jYS0xMFkwEwYHKoZI\n"
    "zj0CAQYIKoZIzj0DAQcDQgAEGv070w4U8YDR2bUMZIWoShvJlV8rGBbjF4j+Jqyu\n"
    "zOTit9rFSwOEam2qMF8P4HqDU1sv0t5rRshtNp5Lf9wuS6NTMFEwHQYDVR0OBBYE\n"
    "FHQWRiDcZ7jAtwf8YWqzRgDnlUggMB8GA1UdIwQYMBaAFHQWRiDcZ7jAtwf8YWqz\n"
    "RgDnlUggMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgRQQW1Ud1\n"
    "K25N0ikpfYwf7F2xPJZgK1yr7l0j3f9u7j0CIQD1beShxxhH5xMxR8kFIRezoM2M\n"
    "ku4AEdeE1bfuEesu7w==\n"
    "-----END CERTIFICATE-----\n";
constexpr char kSecond[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBiDCCAS+gAwIBAgIUTFxqwiQQK0x6DJ6JgGS0Z4RkFWwwCgYIKoZIzj0EAwIw\n"
    "GTEXMBUGA1UEAwwOd2VyZi10ZXN0LWNhLTIwIBcNMjYxMjAzMTc1NzIwWhgPMjEy\n"
    "NjExMDkxNzU3MjBaMBkxFzAVBgNVBAMMDndlcmYtdGVzdC1jYS0yMFkwEwYHKoZI\n"
    "zj0CAQYIKoZIzj0DAQcDQgAEMS3mVouHUgx+5TQw49p18kUSNZMsrPcAvM1oCrfR\n"
    "HzST3U+336QgYgqb9inbYkQBeee3sTCkAbP4N6vvhgZw6aNTMFEwHQYDVR0OBBYE\n"
    "FNkz2pwR2FhObUsoVjLA4IGv4JLMMB8GA1UdIwQYMBaAFNkz2pwR2FhObUsoVjLA\n"
    "4IGv4JLMMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgMts1KUJp\n"
    "7tyySSwFGLPfq2Dk+ZUjBrINI6Rya+FZNhoCIDcfj3Vvh3J9HOV+s4JmR0kqk4uH\n"
    "uUbTqmRKKbAoFrS6\n"
    "-----END CERTIFICATE-----\n";

TEST(ValidateCaBundleTest, AcceptsOneOrMoreCertificates) {
  EXPECT_OK(ValidateCaBundle(kFirst));
  EXPECT_OK(ValidateCaBundle(absl::StrCat(kFirst, kSecond)));
}

TEST(ValidateCaBundleTest, AcceptsTheTextBetweenCertificatesThatBundleFilesCarry) {
  EXPECT_OK(ValidateCaBundle(absl::StrCat("# werf test CA 1\n", kFirst, "\n# werf test CA 2\n", kSecond, "\n")));
}

TEST(ValidateCaBundleTest, AcceptsCrlfLineEnds) {
  EXPECT_OK(ValidateCaBundle(absl::StrReplaceAll(kFirst, {{"\n", "\r\n"}})));
}

struct BadBundleCase {
  std::string name;
  std::string pem;
  std::string message;
};

class BadCaBundleTest : public ::testing::TestWithParam<BadBundleCase> {};

TEST_P(BadCaBundleTest, IsInvalidArgumentSayingWhatIsWrong) {
  const absl::Status status = ValidateCaBundle(GetParam().pem);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(Message(status), HasSubstr(GetParam().message));
}

std::string Truncated(const std::string& pem) { return pem.substr(0, pem.size() / 2); }

INSTANTIATE_TEST_SUITE_P(
    Bundles, BadCaBundleTest,
    ::testing::Values(
        BadBundleCase{"Empty", "", "the CA bundle holds no PEM certificate"},
        BadBundleCase{"NotPem", "not pem at all\n", "the CA bundle holds no PEM certificate"},
        BadBundleCase{"BrokenBase64", "-----BEGIN CERTIFICATE-----\nnope!\n-----END CERTIFICATE-----\n",
                      "malformed certificate after 0 good ones"},
        BadBundleCase{"Base64ThatIsNoCertificate",
                      "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
                      "malformed certificate after 0 good ones"},
        BadBundleCase{"GoodThenTruncated", absl::StrCat(kFirst, Truncated(kSecond)),
                      "malformed certificate after 1 good ones"},
        BadBundleCase{"BrokenThenGood",
                      absl::StrCat("-----BEGIN CERTIFICATE-----\nnope!\n-----END CERTIFICATE-----\n", kFirst),
                      "malformed certificate after 0 good ones"}),
    [](const ::testing::TestParamInfo<BadBundleCase>& info) { return info.param.name; });

TEST(ValidateCaBundleTest, AnEarlierOpenSslErrorDoesNotLeakIntoTheAnswer) {
  EXPECT_FALSE(ValidateCaBundle("-----BEGIN CERTIFICATE-----\nnope!\n-----END CERTIFICATE-----\n").ok());
  EXPECT_OK(ValidateCaBundle(kFirst));
}

}  // namespace
}  // namespace werf::oci
