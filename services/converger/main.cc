// werf-converger: runs and watches werf bundle apply Jobs for the controller.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "libs/api/tenancy_flags.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/service_runner.h"
#include "libs/common/worker_flags.h"
#include "libs/kube/client_flags.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "services/converger/converger.h"
#include "services/converger/converger_service.h"

ABSL_FLAG(std::string, werf_image, werf::converger::kDefaultWerfImage,
          "werf image of the Jobs; a bundle's spec.converge.image overrides it");
ABSL_FLAG(std::string, job_env, "",
          "Comma-separated KEY=VALUE environment for every werf container, e.g. "
          "WERF_BUILDAH_MODE=auto. Not for secrets: it is visible in the Pod spec. A bundle's "
          "env overrides it per name");
ABSL_FLAG(std::string, watch_namespace, "",
          "Only run and watch werf Jobs in this namespace; empty: all namespaces");
ABSL_FLAG(uint32_t, capacity, 0,
          "Most werf Jobs this converger runs at once (announced to the hub); 0: no limit");
ABSL_FLAG(int, concurrent_requests, 4,
          "Converge requests handled at once (each a few API round trips); one bundle's "
          "requests are still handled in order, one at a time");
ABSL_FLAG(int64_t, job_deadline_factor, 6,
          "An apply Job's activeDeadlineSeconds is this many times werf's -t plus "
          "--job_deadline_margin: -t bounds each resource's tracking, and a deploy tracks stage "
          "after stage. 0: no deadline for apply Jobs");
ABSL_FLAG(absl::Duration, job_deadline_margin, absl::Minutes(5),
          "Added to the Job's deadline (image pull, start-up, werf's clean-up); a drift check's "
          "deadline is its timeout plus this margin");
ABSL_FLAG(absl::Duration, drift_check_ttl, absl::Hours(1),
          "ttlSecondsAfterFinished of drift-check Jobs (capped by the bundle's logRetentionDays)");
ABSL_FLAG(int32_t, drift_checks_kept, 3,
          "finished drift-check Jobs kept per bundle, the newest; older ones are deleted once their "
          "result was sent (0: keep all until their TTL)");
ABSL_FLAG(int64_t, ttl_seconds_override, 0,
          "FOR TESTS ONLY: when > 0, ttlSecondsAfterFinished of every Job instead of the bundle's "
          "logRetentionDays");

namespace {

int Run() {
  using werf::common::LogError;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> job_env =
      werf::converger::ParseJobEnv(absl::GetFlag(FLAGS_job_env));
  if (!job_env.ok()) {
    LogError("invalid flag", {{"error", job_env.status().ToString()}});
    return 2;
  }
  if (absl::GetFlag(FLAGS_job_deadline_factor) < 0) {
    LogError("invalid flag", {{"error", "--job_deadline_factor must be 0 (no deadline) or more"}});
    return 2;
  }
  absl::StatusOr<werf::kube::ClusterConfig> cluster =
      werf::kube::LoadClusterConfig(absl::GetFlag(FLAGS_kubeconfig));
  if (!cluster.ok()) {
    LogError("no Kubernetes configuration; set --kubeconfig or run in a cluster",
             {{"error", cluster.status().ToString()}});
    return 1;
  }
  const werf::api::TenancyPolicy tenancy = werf::api::TenancyPolicyFromFlags(
      cluster->origin.rfind("in-cluster", 0) == 0 ? cluster->default_namespace : "werf-operator-system");
  absl::StatusOr<std::shared_ptr<werf::kube::RestClient>> client =
      werf::kube::RestClientFromFlags(*std::move(cluster));
  if (!client.ok()) {
    LogError("no Kubernetes client", {{"error", client.status().ToString()}});
    return 1;
  }

  werf::converger::ConvergerOptions options;
  options.builder.default_image = absl::GetFlag(FLAGS_werf_image);
  options.builder.job_env = *std::move(job_env);
  options.builder.deadline_factor = absl::GetFlag(FLAGS_job_deadline_factor);
  options.builder.deadline_margin = absl::GetFlag(FLAGS_job_deadline_margin);
  options.builder.drift_check_ttl = absl::GetFlag(FLAGS_drift_check_ttl);
  options.builder.ttl_seconds_override = absl::GetFlag(FLAGS_ttl_seconds_override);
  options.monitor.watch_namespace = absl::GetFlag(FLAGS_watch_namespace);
  options.monitor.drift_checks_kept = absl::GetFlag(FLAGS_drift_checks_kept);
  options.tenancy = tenancy;
  options.hub.controller_address = absl::GetFlag(FLAGS_controller_address);
  options.hub.version = std::string(werf::common::BuildVersion());
  options.hub.capacity = absl::GetFlag(FLAGS_capacity);
  options.handlers = absl::GetFlag(FLAGS_concurrent_requests);
  absl::StatusOr<std::unique_ptr<werf::converger::Converger>> converger =
      werf::converger::Converger::Create(*client, std::move(options));
  if (!converger.ok()) {
    LogError("cannot start the converger", {{"error", converger.status().ToString()}});
    return 1;
  }
  werf::converger::Converger& running = **converger;
  werf::converger::ConvergerServiceImpl introspection([&running] { return running.ListJobs(); });

  const absl::Status served = werf::common::ServeUntilSignal({
      .name = "converger",
      .grpc_services = {&introspection},
      .health_service_names = {"werf.operator.v1.ConvergerService"},
      .readiness = [&running] { return running.Ready(); },
      .on_serving =
          [&running] {
            werf::common::LogInfo("converger starting", {{"controller_address", absl::GetFlag(FLAGS_controller_address)},
                                                         {"worker_id", running.worker_id()}});
            running.Start();
            return absl::OkStatus();
          },
      .on_shutdown = [&running] { running.Stop(); },
  });
  return served.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  werf::common::InitServiceProcess(
      "converger", argc, argv,
      "werf-converger: runs and watches werf bundle apply Jobs for the controller.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.");
  return Run();
}
