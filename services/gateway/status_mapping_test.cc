// Every absl code to its HTTP status (as grpc-gateway maps them) and gRPC status, and the
// JSON error body. (http_api_test.cc checks a few codes through the server.)
#include "services/gateway/status_mapping.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace werf::gateway {
namespace {

struct CodeCase {
  absl::StatusCode code;
  int http;
  grpc::StatusCode grpc;
};

class StatusMappingTableTest : public ::testing::TestWithParam<CodeCase> {};

TEST_P(StatusMappingTableTest, MapsTheCode) {
  const CodeCase& c = GetParam();
  EXPECT_EQ(HttpStatusFor(c.code), c.http) << absl::StatusCodeToString(c.code);
  const absl::Status status(c.code, c.code == absl::StatusCode::kOk ? "" : "why it failed");
  const grpc::Status grpc_status = ToGrpcStatus(status);
  EXPECT_EQ(grpc_status.error_code(), c.grpc) << absl::StatusCodeToString(c.code);
  EXPECT_EQ(grpc_status.error_message(), std::string(status.message()));
}

INSTANTIATE_TEST_SUITE_P(
    EveryCode, StatusMappingTableTest,
    ::testing::Values(CodeCase{absl::StatusCode::kOk, 200, grpc::StatusCode::OK},
                      CodeCase{absl::StatusCode::kCancelled, 499, grpc::StatusCode::CANCELLED},
                      CodeCase{absl::StatusCode::kUnknown, 500, grpc::StatusCode::UNKNOWN},
                      CodeCase{absl::StatusCode::kInvalidArgument, 400, grpc::StatusCode::INVALID_ARGUMENT},
                      CodeCase{absl::StatusCode::kDeadlineExceeded, 504, grpc::StatusCode::DEADLINE_EXCEEDED},
                      CodeCase{absl::StatusCode::kNotFound, 404, grpc::StatusCode::NOT_FOUND},
                      CodeCase{absl::StatusCode::kAlreadyExists, 409, grpc::StatusCode::ALREADY_EXISTS},
                      CodeCase{absl::StatusCode::kPermissionDenied, 403, grpc::StatusCode::PERMISSION_DENIED},
                      CodeCase{absl::StatusCode::kResourceExhausted, 429, grpc::StatusCode::RESOURCE_EXHAUSTED},
                      CodeCase{absl::StatusCode::kFailedPrecondition, 400, grpc::StatusCode::FAILED_PRECONDITION},
                      CodeCase{absl::StatusCode::kAborted, 409, grpc::StatusCode::ABORTED},
                      CodeCase{absl::StatusCode::kOutOfRange, 400, grpc::StatusCode::OUT_OF_RANGE},
                      CodeCase{absl::StatusCode::kUnimplemented, 501, grpc::StatusCode::UNIMPLEMENTED},
                      CodeCase{absl::StatusCode::kInternal, 500, grpc::StatusCode::INTERNAL},
                      CodeCase{absl::StatusCode::kUnavailable, 503, grpc::StatusCode::UNAVAILABLE},
                      CodeCase{absl::StatusCode::kDataLoss, 500, grpc::StatusCode::DATA_LOSS},
                      CodeCase{absl::StatusCode::kUnauthenticated, 401, grpc::StatusCode::UNAUTHENTICATED}),
    [](const ::testing::TestParamInfo<CodeCase>& info) {
      return absl::StrReplaceAll(absl::StatusCodeToString(info.param.code), {{"_", ""}});
    });

TEST(StatusMappingTest, OkIsGrpcOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(StatusMappingTest, JsonBodyIsGoogleRpcStatusWithTheCodesName) {
  const absl::Status status = absl::ResourceExhaustedError("too many \"watches\"\n(--max_watches)");
  const nlohmann::json body = nlohmann::json::parse(StatusToJson(status));
  EXPECT_EQ(body, (nlohmann::json{{"code", 8},
                                  {"status", "RESOURCE_EXHAUSTED"},
                                  {"message", "too many \"watches\"\n(--max_watches)"}}));
}

}  // namespace
}  // namespace werf::gateway
