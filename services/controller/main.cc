// werf-controller: watches WerfBundles, decides, writes their status, and serves
// the hub that pollers and convergers dial.
#include "libs/common/service_runner.h"
#include "services/controller/hub_service.h"

int main(int argc, char** argv) {
  werf::common::InitServiceProcess(
      "controller", argc, argv,
      "werf-controller: reconciles WerfBundle resources and serves the worker hub.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.");
  werf::controller::HubServiceImpl hub;
  const absl::Status served = werf::common::ServeUntilSignal({
      .name = "controller",
      .grpc_services = {&hub},
      .health_service_names = {"werf.operator.v1.HubService"},
  });
  return served.ok() ? 0 : 1;
}
