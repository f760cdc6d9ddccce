// The life of a service process, shared by all four binaries:
//   int main(int argc, char** argv) {
//     werf::common::InitServiceProcess("poller", argc, argv, "usage...");
//     ... build the service ...
//     return werf::common::ServeUntilSignal(definition).ok() ? 0 : 1;
//   }
// Serving: gRPC (services + health + reflection) and HTTP (/healthz, /readyz,
// /metrics, extra routes) on the common flags' addresses, both logged once bound.
// SIGTERM or SIGINT: health NOT_SERVING and /readyz 503, background work stopped,
// in-flight calls drained until --drain_timeout, exit 0.
#ifndef WERF_OPERATOR_LIBS_COMMON_SERVICE_RUNNER_H_
#define WERF_OPERATOR_LIBS_COMMON_SERVICE_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/impl/service_type.h"
#include "httplib.h"

namespace werf::common {

struct ServiceDefinition {
  std::string name{};  // "controller", "poller", ...: logs and metrics
  std::vector<grpc::Service*> grpc_services{};
  // Full names of the services to report SERVING in grpc.health.v1.Health.
  std::vector<std::string> health_service_names{};
  // Readiness beyond "the servers are up" (e.g. informer synced, leader). Null: ready.
  std::function<absl::Status()> readiness{};
  std::function<void(httplib::Server&)> http_routes{};
  // Runs once both servers listen (start informers, dial the hub...).
  std::function<absl::Status()> on_serving{};
  // Runs when shutdown begins, before the drain (stop background loops).
  std::function<void()> on_shutdown{};
  // Returns when the process should stop. Null: wait for SIGTERM or SIGINT.
  std::function<void()> wait_for_shutdown{};
};

// Blocks SIGTERM/SIGINT in this and every later thread (so only the waiter sees
// them), parses flags with the environment fallback, configures logging.
// Call first in main, before any thread starts.
std::vector<char*> InitServiceProcess(absl::string_view service, int argc, char** argv,
                                      absl::string_view usage);

// Blocks the termination signals in the calling thread; threads created afterwards inherit it.
void BlockTerminationSignals();
// Waits until SIGTERM or SIGINT arrives (they must be blocked, see above).
void WaitForTerminationSignal();

// Serves until shutdown is requested, then drains. An error means the service
// could not start (the message says why); a clean drain is OK.
absl::Status ServeUntilSignal(const ServiceDefinition& definition);

// The build's version string.
absl::string_view BuildVersion();

// The exit code of a service process: 2 when its flags are invalid (as for a flag
// the parser itself refuses), 1 when `run` fails, else 0; a failure is logged as
// "werf-<service> stopped" or "invalid flag" with the error.
int ServiceExitCode(absl::string_view service, const absl::Status& flags,
                    const std::function<absl::Status()>& run);

// The whole of every service's main():
//
//   int main(int argc, char** argv) {
//     return werf::common::ServiceMain("poller", argc, argv, kUsage, ReadPollerFlags, Run);
//   }
//
// InitServiceProcess, then the flags read into their struct and validated by
// `read_flags`, then `run(flags)`, whose status gives the exit code.
template <typename Flags>
int ServiceMain(absl::string_view service, int argc, char** argv, absl::string_view usage,
                absl::StatusOr<Flags> (*read_flags)(), absl::Status (*run)(const Flags&)) {
  InitServiceProcess(service, argc, argv, usage);
  const absl::StatusOr<Flags> flags = read_flags();
  return ServiceExitCode(service, flags.status(), [&] { return run(*flags); });
}

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_SERVICE_RUNNER_H_
