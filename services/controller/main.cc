// werf-controller: watches WerfBundles, decides, writes their status, and serves
// the hub that pollers and convergers dial. One replica leads (Lease election);
// standbys serve gRPC health but report not ready and refuse hub streams, so the
// Service routes workers to the leader.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>

#include "absl/flags/flag.h"
#include "libs/api/tenancy_flags.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/service_runner.h"
#include "libs/kube/client_flags.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/leader_election.h"
#include "libs/kube/rest_client.h"
#include "services/controller/controller.h"
#include "services/controller/hub_service.h"
#include "services/controller/values_key.h"

ABSL_FLAG(bool, leader_elect, true, "elect a leader through a Lease; only the leader acts");
ABSL_FLAG(std::string, leader_election_namespace, "",
          "namespace of the Lease (default: the in-cluster namespace, else werf-operator-system)");
ABSL_FLAG(std::string, leader_election_id, "werf-controller", "name of the Lease");
ABSL_FLAG(absl::Duration, lease_duration, absl::Seconds(15), "Lease duration");
ABSL_FLAG(absl::Duration, renew_deadline, absl::Seconds(10), "leader steps down when it could not renew for this long");
ABSL_FLAG(absl::Duration, retry_period, absl::Seconds(2), "how often candidates try and the leader renews");
ABSL_FLAG(std::string, watch_namespace, "", "only reconcile WerfBundles in this namespace (default: all)");
ABSL_FLAG(int, workers, 2, "bundles reconciled in parallel");
ABSL_FLAG(absl::Duration, failure_backoff_base, absl::Seconds(30),
          "retry delay after the first failed converge; doubles per failure");
ABSL_FLAG(absl::Duration, failure_backoff_max, absl::Minutes(10), "cap of the retry delay");
ABSL_FLAG(absl::Duration, recheck_interval, absl::Seconds(15),
          "how often a bundle stalled on a missing object is looked at again");
ABSL_FLAG(absl::Duration, min_poll_interval, absl::Minutes(1), "smallest spec.registry.pollInterval accepted");
ABSL_FLAG(absl::Duration, min_drift_interval, absl::Minutes(1),
          "smallest spec.converge.driftDetection.interval accepted");
ABSL_FLAG(absl::Duration, hub_heartbeat_interval, absl::Seconds(5),
          "heartbeat interval on worker streams; three silent intervals close a stream");
ABSL_FLAG(absl::Duration, notification_retry_base, absl::Seconds(5),
          "delay before retrying a failed notification; doubles per failure in a row (half of it jittered)");
ABSL_FLAG(absl::Duration, notification_retry_max, absl::Minutes(5), "cap of the notification retry delay");
ABSL_FLAG(absl::Duration, notification_timeout, absl::Seconds(10),
          "time one notification request may take, connecting included");

namespace {

std::string Identity() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  absl::BitGen random;
  return absl::StrCat(host, "-", absl::Uniform<uint32_t>(random));
}

}  // namespace

int main(int argc, char** argv) {
  werf::common::InitServiceProcess(
      "controller", argc, argv,
      "werf-controller: reconciles WerfBundle resources and serves the worker hub.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.");
  const std::string identity = Identity();
  absl::StatusOr<werf::kube::ClusterConfig> config =
      werf::kube::LoadClusterConfig(absl::GetFlag(FLAGS_kubeconfig));
  if (!config.ok()) {
    werf::common::LogError("cannot configure the Kubernetes client",
                           {{"error", config.status().ToString()}});
    return 1;
  }
  // Where the operator runs: its Lease and its administrators' bundles live there.
  const std::string own_namespace =
      config->origin.rfind("in-cluster", 0) == 0 ? config->default_namespace : "werf-operator-system";
  std::string lease_namespace = absl::GetFlag(FLAGS_leader_election_namespace);
  if (lease_namespace.empty()) lease_namespace = own_namespace;
  const werf::api::TenancyPolicy tenancy = werf::api::TenancyPolicyFromFlags(own_namespace);
  absl::StatusOr<std::shared_ptr<werf::kube::RestClient>> rest = werf::kube::RestClientFromFlags(*config);
  if (!rest.ok()) {
    werf::common::LogError("no Kubernetes client", {{"error", rest.status().ToString()}});
    return 1;
  }
  std::shared_ptr<werf::kube::RestClient> client = *std::move(rest);

  absl::StatusOr<std::string> values_key = werf::controller::LoadOrCreateValuesKey(*client, own_namespace);
  if (!values_key.ok()) {
    werf::common::LogError("cannot load the values key; the controller needs get and create on Secrets in its "
                           "namespace (deploy/kustomize/base/rbac-controller.yaml)",
                           {{"error", values_key.status().ToString()}});
    return 1;
  }
  absl::StatusOr<std::unique_ptr<werf::controller::Controller>> created = werf::controller::Controller::Create(
      client, werf::controller::ControllerOptions{
                  .watch_namespace = absl::GetFlag(FLAGS_watch_namespace),
                  .workers = absl::GetFlag(FLAGS_workers),
                  .decide = {.failure_backoff_base = absl::GetFlag(FLAGS_failure_backoff_base),
                             .failure_backoff_max = absl::GetFlag(FLAGS_failure_backoff_max),
                             .recheck_interval = absl::GetFlag(FLAGS_recheck_interval),
                             .tenancy = tenancy,
                             .min_poll_interval = absl::GetFlag(FLAGS_min_poll_interval),
                             .min_drift_interval = absl::GetFlag(FLAGS_min_drift_interval)},
                  .identity = identity,
                  .values_key = *std::move(values_key),
                  .notifier = {.retry_base = absl::GetFlag(FLAGS_notification_retry_base),
                               .retry_max = absl::GetFlag(FLAGS_notification_retry_max),
                               .delivery = {.timeout = absl::GetFlag(FLAGS_notification_timeout)}}});
  if (!created.ok()) {
    werf::common::LogError("invalid controller options", {{"error", created.status().ToString()}});
    return 1;
  }
  werf::controller::Controller& controller = **created;
  werf::controller::HubServiceImpl hub(
      {.controller_id = identity, .heartbeat_interval = absl::GetFlag(FLAGS_hub_heartbeat_interval)},
      controller.MakeHubCallbacks());
  controller.SetHub(&hub);

  std::atomic<bool> leading{false};
  std::atomic<bool> shutting_down{false};
  const auto start_leading = [&] {
    // Workers are welcomed once the caches have synced: a Job result that arrived
    // before its bundle was listed would be dropped.
    controller.Start([&hub] { hub.SetServing(true); });
    leading.store(true);
  };
  std::unique_ptr<werf::kube::LeaderElector> elector;
  if (absl::GetFlag(FLAGS_leader_elect)) {
    elector = std::make_unique<werf::kube::LeaderElector>(
        client, werf::kube::LeaderElectionOptions{
                    .lease_namespace = lease_namespace,
                    .lease_name = absl::GetFlag(FLAGS_leader_election_id),
                    .identity = identity,
                    .lease_duration = absl::GetFlag(FLAGS_lease_duration),
                    .renew_deadline = absl::GetFlag(FLAGS_renew_deadline),
                    .retry_period = absl::GetFlag(FLAGS_retry_period),
                    .on_started_leading = start_leading,
                    .on_stopped_leading =
                        [&] {
                          if (shutting_down.load()) return;
                          // As controller-runtime does: a replica that lost the lease
                          // exits at once, so it cannot act alongside the new leader.
                          werf::common::LogError("leader election lost; exiting");
                          _exit(1);
                        },
                    .on_new_leader =
                        [](const std::string& leader) {
                          werf::common::LogInfo("leader", {{"identity", leader}});
                        }});
  }

  const absl::Status served = werf::common::ServeUntilSignal({
      .name = "controller",
      .grpc_services = {&hub},
      .health_service_names = {"werf.operator.v1.HubService"},
      .readiness =
          [&]() -> absl::Status {
            if (!leading.load()) return absl::UnavailableError("standby: not the leader");
            if (!controller.Synced()) return absl::UnavailableError("WerfBundle informer not synced");
            return absl::OkStatus();
          },
      .on_serving =
          [&]() -> absl::Status {
            werf::common::LogInfo("kubernetes", {{"server", config->server}, {"identity", identity},
                                                 {"lease_namespace", lease_namespace}});
            if (elector == nullptr) {
              start_leading();
              return absl::OkStatus();
            }
            return elector->Start();
          },
      .on_shutdown =
          [&] {
            shutting_down.store(true);
            hub.SetServing(false);
            controller.Stop();
            if (elector != nullptr) elector->Stop();  // releases the Lease
          },
  });
  return served.ok() ? 0 : 1;
}
