#include "libs/kube/api_error.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/status_context.h"

namespace werf::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

struct Case {
  int http;
  std::string reason;
  absl::StatusCode code;
  bool (*predicate)(const absl::Status&);
};

class ApiErrorTest : public ::testing::TestWithParam<Case> {};

TEST_P(ApiErrorTest, MapsCodeKeepsReasonAndMessage) {
  const Case& c = GetParam();
  const absl::Status status = StatusFromApiResponse(
      c.http, StatusBody(c.http, c.reason, "the thing went wrong"), "GET /api/v1/x");
  EXPECT_EQ(status.code(), c.code);
  EXPECT_EQ(KubernetesReason(status), c.reason);
  EXPECT_EQ(HttpCode(status), c.http);
  EXPECT_TRUE(c.predicate(status));
  EXPECT_THAT(status.message(), HasSubstr("GET /api/v1/x"));
  EXPECT_THAT(status.message(), HasSubstr("the thing went wrong"));
}

// Callers add context on the way up (common::WithContext); the classification must survive it,
// or a 403 several frames up reads as an unknown error.
TEST_P(ApiErrorTest, ClassificationSurvivesContext) {
  const Case& c = GetParam();
  const absl::Status wrapped = common::WithContext(
      common::WithContext(StatusFromApiResponse(c.http, StatusBody(c.http, c.reason, "no"), "GET /api/v1/x"),
                          "reading Secret ns/s"),
      "loading the values key");
  EXPECT_EQ(wrapped.code(), c.code);
  EXPECT_EQ(KubernetesReason(wrapped), c.reason);
  EXPECT_EQ(HttpCode(wrapped), c.http);
  EXPECT_TRUE(c.predicate(wrapped));
  EXPECT_THAT(std::string(wrapped.message()),
              StartsWith("loading the values key: reading Secret ns/s: GET /api/v1/x"));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ApiErrorTest,
    ::testing::Values(Case{404, "NotFound", absl::StatusCode::kNotFound, IsApiNotFound},
                      Case{409, "AlreadyExists", absl::StatusCode::kAlreadyExists, IsApiAlreadyExists},
                      Case{409, "Conflict", absl::StatusCode::kAborted, IsApiConflict},
                      Case{422, "Invalid", absl::StatusCode::kInvalidArgument, IsApiInvalid},
                      Case{410, "Expired", absl::StatusCode::kFailedPrecondition, IsApiGone},
                      Case{410, "Gone", absl::StatusCode::kFailedPrecondition, IsApiGone},
                      Case{429, "TooManyRequests", absl::StatusCode::kResourceExhausted,
                           IsApiTooManyRequests},
                      Case{401, "Unauthorized", absl::StatusCode::kUnauthenticated, IsApiUnauthorized},
                      Case{403, "Forbidden", absl::StatusCode::kPermissionDenied, IsApiForbidden}));

TEST(ApiErrorTest, ConflictIsNotAlreadyExistsAndViceVersa) {
  const absl::Status conflict = StatusFromApiResponse(409, StatusBody(409, "Conflict", "x"), "PUT");
  const absl::Status exists =
      StatusFromApiResponse(409, StatusBody(409, "AlreadyExists", "x"), "POST");
  EXPECT_FALSE(IsApiAlreadyExists(conflict));
  EXPECT_FALSE(IsApiConflict(exists));
}

TEST(ApiErrorTest, NonStatusBodyKeepsBoundedExcerptAndDefaultReason) {
  const absl::Status status =
      StatusFromApiResponse(503, std::string(10000, 'x'), "GET /readyz", absl::Seconds(7));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(KubernetesReason(status), "ServiceUnavailable");
  EXPECT_LT(status.message().size(), 400u);
  EXPECT_EQ(RetryAfter(status), absl::Seconds(7));
  EXPECT_EQ(RetryAfter(common::WithContext(status, "GET /readyz of the API server")), absl::Seconds(7));
}

TEST(ApiErrorTest, OtherStatusesCarryNoReason) {
  EXPECT_EQ(KubernetesReason(absl::UnavailableError("x")), "");
  EXPECT_FALSE(IsApiNotFound(absl::NotFoundError("not from the API")));
}

}  // namespace
}  // namespace werf::kube
