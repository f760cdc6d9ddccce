// werf-poller: polls registries for the repositories the controller assigns.
#include "absl/flags/flag.h"
#include "libs/common/logging.h"
#include "libs/common/service_runner.h"
#include "libs/common/worker_flags.h"
#include "services/poller/poller_service.h"

int main(int argc, char** argv) {
  werf::common::InitServiceProcess(
      "poller", argc, argv,
      "werf-poller: polls registries for the repositories the controller assigns.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.");
  werf::poller::PollerServiceImpl introspection;
  const absl::Status served = werf::common::ServeUntilSignal({
      .name = "poller",
      .grpc_services = {&introspection},
      .health_service_names = {"werf.operator.v1.PollerService"},
      .on_serving =
          [] {
            werf::common::LogInfo("hub", {{"controller_address",
                                           absl::GetFlag(FLAGS_controller_address)}});
            return absl::OkStatus();
          },
  });
  return served.ok() ? 0 : 1;
}
