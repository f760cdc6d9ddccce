#include "libs/oci/transport_errors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/http/transport_error.h"
#include "libs/oci/errors.h"

namespace werf::oci {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FromTransportErrorTest, CodesReasonsAndOriginOnlyMessages) {
  const struct {
    http::TransportFailure failure;
    absl::StatusCode code;
    ErrorReason reason;
    const char* says;
  } kCases[] = {
      {http::TransportFailure::kTls, absl::StatusCode::kFailedPrecondition, ErrorReason::kTls, "TLS failed: boom"},
      {http::TransportFailure::kTimeout, absl::StatusCode::kUnavailable, ErrorReason::kUnavailable,
       "timed out (boom)"},
      {http::TransportFailure::kConnect, absl::StatusCode::kUnavailable, ErrorReason::kUnavailable, ": boom"},
      {http::TransportFailure::kTruncated, absl::StatusCode::kDataLoss, ErrorReason::kInvalidResponse,
       "truncated response body (boom)"},
      {http::TransportFailure::kInvalidResponse, absl::StatusCode::kDataLoss, ErrorReason::kInvalidResponse,
       "invalid response (boom)"},
      {http::TransportFailure::kHeadersTooLarge, absl::StatusCode::kDataLoss, ErrorReason::kInvalidResponse,
       ": boom"},
      {http::TransportFailure::kBadUrl, absl::StatusCode::kInvalidArgument, ErrorReason::kUnknown, ": boom"},
  };
  const http::HttpRequest request{.method = "HEAD", .url = "https://r.example.com/v2/team/app/manifests/secret"};
  for (const auto& c : kCases) {
    const absl::Status status = FromTransportError(
        http::MakeTransportError(request.method, request.url, {.failure = c.failure, .detail = "boom", .http_status = 200}),
        request);
    const std::string name(http::TransportFailureName(c.failure));
    EXPECT_EQ(status.code(), c.code) << name;
    EXPECT_EQ(ClassifyError(status), c.reason) << name;
    EXPECT_THAT(status.message(), HasSubstr("HEAD https://r.example.com")) << name;
    EXPECT_THAT(status.message(), HasSubstr(c.says)) << name;
    EXPECT_THAT(status.message(), Not(HasSubstr("secret"))) << name;
  }
}

TEST(FromTransportErrorTest, OtherStatusesPassThrough) {
  const http::HttpRequest request{.url = "https://r.example.com/v2/"};
  EXPECT_EQ(FromTransportError(absl::InternalError("x"), request), absl::InternalError("x"));
  EXPECT_TRUE(FromTransportError(absl::OkStatus(), request).ok());
}

}  // namespace
}  // namespace werf::oci
