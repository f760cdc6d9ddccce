// werf-converger: runs and watches werf bundle apply Jobs for the controller.
#include "absl/flags/flag.h"
#include "libs/common/logging.h"
#include "libs/common/service_runner.h"
#include "libs/common/worker_flags.h"
#include "services/converger/converger_service.h"

int main(int argc, char** argv) {
  werf::common::InitServiceProcess(
      "converger", argc, argv,
      "werf-converger: runs and watches werf bundle apply Jobs for the controller.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.");
  werf::converger::ConvergerServiceImpl introspection;
  const absl::Status served = werf::common::ServeUntilSignal({
      .name = "converger",
      .grpc_services = {&introspection},
      .health_service_names = {"werf.operator.v1.ConvergerService"},
      .on_serving =
          [] {
            werf::common::LogInfo("hub", {{"controller_address",
                                           absl::GetFlag(FLAGS_controller_address)}});
            return absl::OkStatus();
          },
  });
  return served.ok() ? 0 : 1;
}
