#include "libs/common/metrics.h"

#include <chrono>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/text_serializer.h"

namespace werf::common {
namespace {

// Codes in their canonical upper-case names, as grpc-go's and Envoy's metrics spell them.
absl::string_view GrpcCodeName(grpc::StatusCode code) {
  static constexpr absl::string_view kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kNames))) return "UNKNOWN";
  return kNames[index];
}

struct GrpcMetrics {
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& latency;
};

GrpcMetrics& Grpc() {
  static auto* metrics = new GrpcMetrics{
      prometheus::BuildCounter()
          .Name("werf_operator_grpc_server_handled_total")
          .Help("gRPC calls completed by the server, by method and status code.")
          .Register(MetricsRegistry()),
      prometheus::BuildHistogram()
          .Name("werf_operator_grpc_server_handling_seconds")
          .Help("Time from the start of a gRPC call to its status being sent.")
          .Register(MetricsRegistry()),
  };
  return *metrics;
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info)
      : start_(std::chrono::steady_clock::now()) {
    // "/werf.operator.v1.BundleService/ListBundles" -> service, method.
    std::vector<std::string> parts = absl::StrSplit(info->method(), '/', absl::SkipEmpty());
    if (parts.size() == 2) {
      service_ = std::move(parts[0]);
      method_ = std::move(parts[1]);
    } else {
      service_ = "unknown";
      method_ = info->method();
    }
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      Grpc().handled
          .Add({{"grpc_service", service_},
                {"grpc_method", method_},
                {"grpc_code", std::string(GrpcCodeName(status.error_code()))}})
          .Increment();
      Grpc().latency.Add({{"grpc_service", service_}, {"grpc_method", method_}}, LatencyBuckets())
          .Observe(seconds);
    }
    methods->Proceed();
  }

 private:
  std::chrono::steady_clock::time_point start_;
  std::string service_;
  std::string method_;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info);
  }
};

}  // namespace

std::shared_ptr<prometheus::Registry> MetricsRegistryPtr() {
  static auto* registry = new std::shared_ptr<prometheus::Registry>(
      std::make_shared<prometheus::Registry>());
  return *registry;
}

prometheus::Registry& MetricsRegistry() { return *MetricsRegistryPtr(); }

std::string SerializeMetrics() {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, MetricsRegistry().Collect());
  return out.str();
}

void RegisterBuildInfo(absl::string_view service, absl::string_view version) {
  prometheus::BuildGauge()
      .Name("werf_operator_build_info")
      .Help("Always 1; labels say which service and version this process is.")
      .Register(MetricsRegistry())
      .Add({{"service", std::string(service)}, {"version", std::string(version)}})
      .Set(1);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>();
}

}  // namespace werf::common
