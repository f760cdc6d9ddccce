// werf-converger: runs and watches werf bundle apply Jobs for the controller.
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "libs/api/tenancy_flags.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/service_runner.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/common/worker_flags.h"
#include "libs/kube/client_flags.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "services/converger/converger.h"
#include "services/converger/converger_flags.h"
#include "services/converger/converger_service.h"

namespace werf::converger {
namespace {

// The namespace the tenancy policy defaults to: the converger's own in a cluster, the
// installation's default outside one (a developer's kubeconfig).
std::string HomeNamespace(const kube::ClusterConfig& cluster) {
  return cluster.origin.rfind("in-cluster", 0) == 0 ? cluster.default_namespace : "werf-operator-system";
}

absl::Status Run(const ConvergerFlags& flags) {
  absl::StatusOr<kube::ClusterConfig> cluster = kube::LoadClusterConfig(absl::GetFlag(FLAGS_kubeconfig));
  if (!cluster.ok()) {
    return common::WithContext(cluster.status(), "no Kubernetes configuration; set --kubeconfig or run in a cluster");
  }
  const api::TenancyPolicy tenancy = api::TenancyPolicyFromFlags(HomeNamespace(*cluster));
  ASSIGN_OR_RETURN(std::shared_ptr<kube::RestClient> client, kube::RestClientFromFlags(*std::move(cluster)));

  ConvergerOptions options;
  options.builder.default_image = flags.werf_image;
  options.builder.job_env = flags.job_env;
  options.builder.deadline_factor = flags.job_deadline_factor;
  options.builder.deadline_margin = flags.job_deadline_margin;
  options.builder.drift_check_ttl = flags.drift_check_ttl;
  options.builder.ttl_seconds_override = flags.ttl_seconds_override;
  options.monitor.watch_namespace = flags.watch_namespace;
  options.monitor.drift_checks_kept = flags.drift_checks_kept;
  options.tenancy = tenancy;
  options.hub.controller_address = absl::GetFlag(FLAGS_controller_address);
  options.hub.version = std::string(common::BuildVersion());
  options.hub.capacity = flags.capacity;
  options.handlers = flags.concurrent_requests;
  ASSIGN_OR_RETURN(std::unique_ptr<Converger> converger, Converger::Create(client, std::move(options)));
  ConvergerServiceImpl introspection([&converger] { return converger->ListJobs(); });

  return common::ServeUntilSignal({
      .name = "converger",
      .grpc_services = {&introspection},
      .health_service_names = {"werf.operator.v1.ConvergerService"},
      .readiness = [&converger] { return converger->Ready(); },
      .on_serving =
          [&converger] {
            common::LogInfo("converger starting", {{"controller_address", absl::GetFlag(FLAGS_controller_address)},
                                                   {"worker_id", converger->worker_id()}});
            converger->Start();
            return absl::OkStatus();
          },
      .on_shutdown = [&converger] { converger->Stop(); },
  });
}

}  // namespace
}  // namespace werf::converger

int main(int argc, char** argv) {
  return werf::common::ServiceMain<werf::converger::ConvergerFlags>(
      "converger", argc, argv,
      "werf-converger: runs and watches werf bundle apply Jobs for the controller.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.",
      werf::converger::ReadConvergerFlags, werf::converger::Run);
}
