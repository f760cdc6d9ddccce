// werf-gateway: read-only bundle state for dashboards and CLIs over gRPC and HTTP/JSON.
#include "libs/common/service_runner.h"
#include "services/gateway/bundle_service.h"

int main(int argc, char** argv) {
  werf::common::InitServiceProcess(
      "gateway", argc, argv,
      "werf-gateway: serves WerfBundle state read-only over gRPC and HTTP/JSON.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.");
  werf::gateway::BundleServiceImpl bundles;
  const absl::Status served = werf::common::ServeUntilSignal({
      .name = "gateway",
      .grpc_services = {&bundles},
      .health_service_names = {"werf.operator.v1.BundleService"},
  });
  return served.ok() ? 0 : 1;
}
