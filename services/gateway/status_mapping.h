// absl::Status to the two transports: gRPC status (same codes) and HTTP status codes
// as grpc-gateway and Google APIs map them.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_STATUS_MAPPING_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_STATUS_MAPPING_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace werf::gateway {

grpc::Status ToGrpcStatus(const absl::Status& status);

// 400, 401, 403, 404, 429, 499, 500, 501, 503, 504 ... for the code.
int HttpStatusFor(absl::StatusCode code);

// {"code": 5, "status": "NOT_FOUND", "message": "..."}: google.rpc.Status's JSON shape
// plus the code's name.
std::string StatusToJson(const absl::Status& status);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_STATUS_MAPPING_H_
