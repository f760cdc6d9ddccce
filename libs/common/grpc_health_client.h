// A client for grpc.health.v1.Health/Check. Debian's gRPC does not install the
// generated health stubs, so the two tiny messages are encoded by hand here
// (HealthCheckRequest{string service = 1}, HealthCheckResponse{enum status = 1}).
// Workers and tests use it to ask a peer whether it is serving.
#ifndef WERF_OPERATOR_LIBS_COMMON_GRPC_HEALTH_CLIENT_H_
#define WERF_OPERATOR_LIBS_COMMON_GRPC_HEALTH_CLIENT_H_

#include <memory>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace werf::common {

enum class HealthStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// Calls Health/Check for `service` ("" is the whole server). Transport and RPC
// errors (e.g. NOT_FOUND for an unregistered service) come back as the status.
absl::StatusOr<HealthStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                         absl::string_view service, absl::Duration timeout);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_GRPC_HEALTH_CLIENT_H_
