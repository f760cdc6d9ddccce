#include "libs/common/service_runner.h"

#include <csignal>
#include <pthread.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/flags.h"
#include "libs/common/grpc_server.h"
#include "libs/common/http_server.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/common/status_macros.h"

#ifndef WERF_OPERATOR_VERSION
#define WERF_OPERATOR_VERSION "dev"
#endif

namespace werf::common {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

absl::string_view BuildVersion() { return WERF_OPERATOR_VERSION; }

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  LogInfo("termination signal received", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
}

std::vector<char*> InitServiceProcess(absl::string_view service, int argc, char** argv,
                                      absl::string_view usage) {
  BlockTerminationSignals();
  std::vector<char*> positional = ParseFlagsWithEnvironment(argc, argv, usage);
  SetLogService(std::string(service));
  absl::StatusOr<LogLevel> level = ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (level.ok()) {
    SetMinLogLevel(*level);
  } else {
    LogWarning("ignoring --log_level", {{"error", level.status().message()}});
  }
  return positional;
}

absl::Status ServeUntilSignal(const ServiceDefinition& definition) {
  RegisterBuildInfo(definition.name, BuildVersion());
  ASSIGN_OR_RETURN(std::unique_ptr<GrpcServer> grpc_server,
                   GrpcServer::Start({.address = absl::GetFlag(FLAGS_grpc_address),
                                      .services = definition.grpc_services}));
  ASSIGN_OR_RETURN(std::unique_ptr<HttpServer> http_server,
                   HttpServer::Start({.address = absl::GetFlag(FLAGS_http_address),
                                      .register_routes = definition.http_routes,
                                      .readiness = definition.readiness}));
  for (const std::string& name : definition.health_service_names) {
    grpc_server->SetServing(name, true);
  }
  grpc_server->SetServing("", true);
  LogInfo("serving", {{"grpc_address", grpc_server->address().ToString()},
                      {"http_address", http_server->address().ToString()},
                      {"version", BuildVersion()}});

  absl::Status started = definition.on_serving ? definition.on_serving() : absl::OkStatus();
  if (started.ok()) {
    if (definition.wait_for_shutdown) {
      definition.wait_for_shutdown();
    } else {
      WaitForTerminationSignal();
    }
  } else {
    LogError("service failed to start", {{"error", started.ToString()}});
  }

  const absl::Duration drain = absl::GetFlag(FLAGS_drain_timeout);
  LogInfo("draining", {{"drain_timeout", absl::FormatDuration(drain)}});
  http_server->SetDraining();
  if (definition.on_shutdown) definition.on_shutdown();
  grpc_server->Shutdown(absl::Now() + drain);
  http_server->Stop();
  LogInfo("stopped");
  return started;
}

int ServiceExitCode(absl::string_view service, const absl::Status& flags,
                    const std::function<absl::Status()>& run) {
  if (!flags.ok()) {
    LogError("invalid flag", {{"service", std::string(service)}, {"error", flags.ToString()}});
    return 2;
  }
  const absl::Status status = run();
  if (!status.ok()) {
    LogError(absl::StrCat("werf-", service, " stopped"), {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}

}  // namespace werf::common
