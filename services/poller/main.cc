// werf-poller: polls registries for the repositories the controller assigns and
// reports what changed.
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/common/service_runner.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/common/worker_flags.h"
#include "libs/kube/client_flags.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "services/poller/poller.h"
#include "services/poller/poller_flags.h"
#include "services/poller/poller_service.h"
#include "services/poller/webhook_receiver.h"

namespace werf::poller {
namespace {

absl::Status Run(const PollerFlags& flags) {
  absl::StatusOr<kube::ClusterConfig> config = kube::LoadClusterConfig(absl::GetFlag(FLAGS_kubeconfig));
  if (!config.ok()) return common::WithContext(config.status(), "cannot configure the Kubernetes client");
  ASSIGN_OR_RETURN(std::shared_ptr<kube::RestClient> kube_client, kube::RestClientFromFlags(*config));

  oci::RegistryClientOptions registry_options;
  registry_options.metrics = &common::MetricsRegistry();
  registry_options.request_timeout = flags.registry_timeout;
  registry_options.max_tags = static_cast<size_t>(flags.max_tags);
  absl::StatusOr<std::unique_ptr<oci::RegistryClient>> registry =
      oci::RegistryClient::Create(std::move(registry_options));
  if (!registry.ok()) return common::WithContext(registry.status(), "cannot create the registry client");

  Poller poller({.controller_address = absl::GetFlag(FLAGS_controller_address),
                 .version = std::string(common::BuildVersion()),
                 .max_concurrent_polls = flags.max_concurrent_polls,
                 .registry_qps = flags.registry_qps,
                 .registry_burst = flags.registry_burst,
                 .failure_backoff = flags.failure_backoff,
                 .failure_backoff_max = flags.failure_backoff_max},
                std::make_unique<hub::RegistryAccessReader>(kube_client), *std::move(registry));
  PollerServiceImpl introspection(&poller);

  std::unique_ptr<WebhookReceiver> webhooks;
  auto start_webhooks = [&]() -> absl::Status {
    if (flags.webhook_address.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(
        webhooks,
        WebhookReceiver::Start(
            {.address = flags.webhook_address,
             .max_body_bytes = static_cast<size_t>(flags.webhook_max_body_bytes),
             .qps = flags.webhook_qps,
             .burst = flags.webhook_burst},
            std::make_unique<KubeWebhookSecrets>(kube_client, flags.webhook_secret_namespace,
                                                 flags.webhook_secret_name),
            [&poller](const operator_::v1::RepositoryEvent& event) { return poller.ForwardEvent(event); }));
    return absl::OkStatus();
  };
  return common::ServeUntilSignal({
      .name = "poller",
      .grpc_services = {&introspection},
      .health_service_names = {"werf.operator.v1.PollerService"},
      .readiness = [&]() -> absl::Status {
        return poller.connected() ? absl::OkStatus()
                                  : absl::UnavailableError("not connected to the controller's hub");
      },
      .on_serving =
          [&]() -> absl::Status {
            RETURN_IF_ERROR(poller.Start());
            return start_webhooks();
          },
      .on_shutdown =
          [&] {
            if (webhooks != nullptr) webhooks->Stop();
            poller.Stop();
          },
  });
}

}  // namespace
}  // namespace werf::poller

int main(int argc, char** argv) {
  return werf::common::ServiceMain<werf::poller::PollerFlags>(
      "poller", argc, argv,
      "werf-poller: polls registries for the repositories the controller assigns.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.",
      werf::poller::ReadPollerFlags, werf::poller::Run);
}
