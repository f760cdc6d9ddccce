// werf-controller: watches WerfBundles, decides, writes their status, and serves
// the hub that pollers and convergers dial. One replica leads (Lease election,
// services/controller/leadership.h); standbys serve gRPC health but report not
// ready and refuse hub streams, so the Service routes workers to the leader.
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "libs/api/tenancy_flags.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/service_runner.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/hub/hub_service.h"
#include "libs/kube/client_flags.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "services/controller/controller.h"
#include "services/controller/controller_flags.h"
#include "services/controller/leadership.h"
#include "services/controller/values_key.h"

namespace werf::controller {
namespace {

// Unique per process, as a Lease holder must be: the pod name plus a random suffix.
std::string Identity() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  absl::BitGen random;
  return absl::StrCat(host, "-", absl::Uniform<uint32_t>(random));
}

ControllerOptions OptionsFrom(const ControllerFlags& flags, const api::TenancyPolicy& tenancy,
                              const std::string& identity, std::string values_key) {
  return ControllerOptions{
      .watch_namespace = flags.watch_namespace,
      .workers = flags.workers,
      .decide = {.failure_backoff_base = flags.failure_backoff_base,
                 .failure_backoff_max = flags.failure_backoff_max,
                 .recheck_interval = flags.recheck_interval,
                 .tenancy = tenancy,
                 .min_poll_interval = flags.min_poll_interval,
                 .min_drift_interval = flags.min_drift_interval},
      .identity = identity,
      .values_key = std::move(values_key),
      .notifier = {.retry_base = flags.notification_retry_base,
                   .retry_max = flags.notification_retry_max,
                   .delivery = {.timeout = flags.notification_timeout}}};
}

absl::Status Run(const ControllerFlags& flags) {
  const std::string identity = Identity();
  ASSIGN_OR_RETURN(kube::ClusterConfig cluster, kube::LoadClusterConfig(absl::GetFlag(FLAGS_kubeconfig)));
  // Where the operator runs: its Lease and its administrators' bundles live there.
  const std::string own_namespace = kube::ProcessNamespace(cluster, api::kDefaultOperatorNamespace);
  const std::string lease_namespace =
      flags.leader_election_namespace.empty() ? own_namespace : flags.leader_election_namespace;
  const std::string server = cluster.server;
  ASSIGN_OR_RETURN(std::shared_ptr<kube::RestClient> client, kube::RestClientFromFlags(cluster));

  absl::StatusOr<std::string> values_key = LoadOrCreateValuesKey(*client, own_namespace);
  if (!values_key.ok()) {
    return common::WithContext(values_key.status(),
                               "cannot load the values key; the controller needs get and create on Secrets in its "
                               "namespace (deploy/kustomize/base/rbac-controller.yaml)");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Controller> controller,
                   Controller::Create(client, OptionsFrom(flags, api::TenancyPolicyFromFlags(own_namespace),
                                                          identity, *std::move(values_key))));
  hub::HubServiceImpl hub({.controller_id = identity, .heartbeat_interval = flags.hub_heartbeat_interval},
                          controller->MakeHubCallbacks());
  controller->SetHub(&hub);

  Leadership leadership({
      .client = flags.leader_elect ? client : nullptr,
      .election = {.lease_namespace = lease_namespace,
                   .lease_name = flags.leader_election_id,
                   .identity = identity,
                   .lease_duration = flags.lease_duration,
                   .renew_deadline = flags.renew_deadline,
                   .retry_period = flags.retry_period},
      // Workers are welcomed once the caches have synced: a Job result that arrived
      // before its bundle was listed would be dropped.
      .on_started_leading = [&controller, &hub] { controller->Start([&hub] { hub.SetServing(true); }); },
      .on_lost =
          [] {
            common::LogError("exiting: another replica may lead now");
            _exit(1);
          },
  });

  return common::ServeUntilSignal({
      .name = "controller",
      .grpc_services = {&hub},
      .health_service_names = {"werf.operator.v1.HubService"},
      .readiness =
          [&]() -> absl::Status {
            if (!leadership.leading()) return absl::UnavailableError("standby: not the leader");
            if (!controller->Synced()) return absl::UnavailableError("WerfBundle informer not synced");
            return absl::OkStatus();
          },
      .on_serving =
          [&]() -> absl::Status {
            common::LogInfo("kubernetes",
                            {{"server", server}, {"identity", identity}, {"lease_namespace", lease_namespace}});
            return leadership.Start();
          },
      .on_shutdown =
          [&] {
            leadership.BeginShutdown();
            hub.SetServing(false);
            controller->Stop();
            leadership.Stop();
          },
  });
}

}  // namespace
}  // namespace werf::controller

int main(int argc, char** argv) {
  return werf::common::ServiceMain<werf::controller::ControllerFlags>(
      "controller", argc, argv,
      "werf-controller: reconciles WerfBundle resources and serves the worker hub.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.",
      werf::controller::ReadControllerFlags, werf::controller::Run);
}
