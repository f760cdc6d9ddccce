#include "libs/oci/errors.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/status_context.h"
#include "libs/common/testing/status_testing.h"
#include "libs/oci/digest.h"

namespace werf::oci {
namespace {

using ::werf::status_testing::Message;

TEST(ErrorsTest, DetailsSurviveContext) {
  const absl::Time retry = absl::FromUnixSeconds(1700000123);
  absl::Status status = MakeError(absl::StatusCode::kResourceExhausted, "slow down",
                                  {.reason = ErrorReason::kRateLimited, .http_status = 429, .retry_after = retry});
  status = common::WithContext(status, "list tags of docker.io/library/nginx");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Message(status), "list tags of docker.io/library/nginx: slow down");
  const ErrorDetails details = GetErrorDetails(status);
  EXPECT_EQ(details.reason, ErrorReason::kRateLimited);
  EXPECT_EQ(details.http_status, 429);
  EXPECT_EQ(details.retry_after, retry);
  EXPECT_EQ(ErrorReasonName(ClassifyError(status)), "RATE_LIMITED");
}

TEST(ErrorsTest, PlainStatusesAreClassifiedByCode) {
  EXPECT_EQ(ClassifyError(absl::UnauthenticatedError("x")), ErrorReason::kUnauthorized);
  EXPECT_EQ(ClassifyError(absl::PermissionDeniedError("x")), ErrorReason::kUnauthorized);
  EXPECT_EQ(ClassifyError(absl::NotFoundError("x")), ErrorReason::kNotFound);
  EXPECT_EQ(ClassifyError(absl::UnavailableError("x")), ErrorReason::kUnavailable);
  EXPECT_EQ(ClassifyError(absl::DeadlineExceededError("x")), ErrorReason::kUnavailable);
  EXPECT_EQ(ClassifyError(absl::DataLossError("x")), ErrorReason::kInvalidResponse);
  EXPECT_EQ(ClassifyError(absl::InternalError("x")), ErrorReason::kUnknown);
  EXPECT_EQ(ClassifyError(absl::OkStatus()), ErrorReason::kUnknown);
  const ErrorDetails none = GetErrorDetails(absl::UnavailableError("x"));
  EXPECT_EQ(none.http_status, 0);
  EXPECT_EQ(none.retry_after, std::nullopt);
}

TEST(ErrorsTest, EveryReasonHasAName) {
  for (ErrorReason reason : {ErrorReason::kUnknown, ErrorReason::kUnauthorized, ErrorReason::kNotFound,
                             ErrorReason::kTls, ErrorReason::kRateLimited, ErrorReason::kUnavailable,
                             ErrorReason::kInvalidResponse, ErrorReason::kCredentials}) {
    const absl::Status status = MakeError(absl::StatusCode::kInternal, "x", {.reason = reason});
    EXPECT_EQ(ClassifyError(status), reason) << ErrorReasonName(reason);
  }
}

TEST(DigestTest, Sha256OfKnownInputs) {
  EXPECT_EQ(Sha256Digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, Validates) {
  EXPECT_OK(ValidateDigest(Sha256Digest("x")));
  EXPECT_OK(ValidateDigest("sha512:" + std::string(128, 'a')));
  EXPECT_OK(ValidateDigest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"));
  for (const std::string& digest :
       {std::string(""), std::string("sha256"), std::string("sha256:"), std::string("sha256:abc"),
        "sha256:" + std::string(64, 'A'), "sha256:" + std::string(64, 'g'), "SHA256:" + std::string(64, 'a'),
        std::string(":abc"), std::string("sha256:a b"), "sha512:" + std::string(64, 'a')}) {
    EXPECT_FALSE(ValidateDigest(digest).ok()) << digest;
  }
}

}  // namespace
}  // namespace werf::oci
