// Process-wide Prometheus registry, its text exposition, and a gRPC server
// interceptor that counts RPCs by method and status code and records latency.
// Metric names carry the `werf_operator_` prefix and their unit.
#ifndef WERF_OPERATOR_LIBS_COMMON_METRICS_H_
#define WERF_OPERATOR_LIBS_COMMON_METRICS_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "grpcpp/support/server_interceptor.h"
#include "prometheus/registry.h"

namespace werf::common {

// The registry every metric of the process registers in.
prometheus::Registry& MetricsRegistry();
std::shared_ptr<prometheus::Registry> MetricsRegistryPtr();

// Prometheus text format (version 0.0.4) of MetricsRegistry().
std::string SerializeMetrics();

// Sets werf_operator_build_info{service,version} = 1.
void RegisterBuildInfo(absl::string_view service, absl::string_view version);

// Counts werf_operator_grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
// and observes werf_operator_grpc_server_handling_seconds{grpc_service,grpc_method}.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory();

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_METRICS_H_
