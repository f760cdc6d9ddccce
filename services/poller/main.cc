// werf-poller: polls registries for the repositories the controller assigns and
// reports what changed.
#include "absl/flags/flag.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/common/service_runner.h"
#include "libs/common/worker_flags.h"
#include "libs/kube/client_flags.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "services/poller/poller.h"
#include "services/poller/poller_service.h"
#include "services/poller/webhook_receiver.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(int, max_concurrent_polls, 10, "registry polls in flight at once, across all repositories");
ABSL_FLAG(double, registry_qps, 20,
          "per registry host: polls per second allowed on average (20/s is 18,000 polls per "
          "15-minute interval)");
ABSL_FLAG(int, registry_burst, 40, "per registry host: polls allowed in a burst");
ABSL_FLAG(absl::Duration, registry_timeout, absl::Seconds(30), "timeout of one registry request");
ABSL_FLAG(absl::Duration, failure_backoff, absl::Seconds(30),
          "retry delay after a failed poll; doubles per failure up to --failure_backoff_max");
ABSL_FLAG(absl::Duration, failure_backoff_max, absl::Minutes(8), "cap of the retry delay");
ABSL_FLAG(int, max_tags, 100000, "cap on the tags read from one repository");
ABSL_FLAG(std::string, webhook_address, "",
          "host:port of the registry webhook receiver (POST /hooks/<source>); empty: no receiver");
ABSL_FLAG(std::string, webhook_secret, "werf-operator-system/werf-operator-webhooks",
          "namespace/name of the Secret holding one key per webhook source (its secret or token)");
ABSL_FLAG(int64_t, webhook_max_body_bytes, 1 << 20, "larger webhook bodies are refused with 413");
ABSL_FLAG(double, webhook_qps, 50, "per webhook source and poller replica: deliveries per second on average");
ABSL_FLAG(int, webhook_burst, 500, "per webhook source and poller replica: deliveries in a burst");

int main(int argc, char** argv) {
  werf::common::InitServiceProcess(
      "poller", argc, argv,
      "werf-poller: polls registries for the repositories the controller assigns.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.");
  absl::StatusOr<werf::kube::ClusterConfig> config =
      werf::kube::LoadClusterConfig(absl::GetFlag(FLAGS_kubeconfig));
  if (!config.ok()) {
    werf::common::LogError("cannot configure the Kubernetes client", {{"error", config.status().ToString()}});
    return 1;
  }
  absl::StatusOr<std::shared_ptr<werf::kube::RestClient>> kube_client = werf::kube::RestClientFromFlags(*config);
  if (!kube_client.ok()) {
    werf::common::LogError("no Kubernetes client", {{"error", kube_client.status().ToString()}});
    return 1;
  }
  std::shared_ptr<werf::kube::RestClient> kube = *std::move(kube_client);
  werf::oci::RegistryClientOptions registry_options;
  registry_options.metrics = &werf::common::MetricsRegistry();
  registry_options.request_timeout = absl::GetFlag(FLAGS_registry_timeout);
  registry_options.max_tags = static_cast<size_t>(absl::GetFlag(FLAGS_max_tags));
  absl::StatusOr<std::unique_ptr<werf::oci::RegistryClient>> registry =
      werf::oci::RegistryClient::Create(std::move(registry_options));
  if (!registry.ok()) {
    werf::common::LogError("cannot create the registry client", {{"error", registry.status().ToString()}});
    return 1;
  }
  werf::poller::Poller poller(
      {.controller_address = absl::GetFlag(FLAGS_controller_address),
       .version = std::string(werf::common::BuildVersion()),
       .max_concurrent_polls = absl::GetFlag(FLAGS_max_concurrent_polls),
       .registry_qps = absl::GetFlag(FLAGS_registry_qps),
       .registry_burst = absl::GetFlag(FLAGS_registry_burst),
       .failure_backoff = absl::GetFlag(FLAGS_failure_backoff),
       .failure_backoff_max = absl::GetFlag(FLAGS_failure_backoff_max)},
      std::make_unique<werf::hub::RegistryAccessReader>(kube), std::move(*registry));
  werf::poller::PollerServiceImpl introspection(&poller);
  const std::string webhook_secret = absl::GetFlag(FLAGS_webhook_secret);
  const std::vector<std::string> secret_ref = absl::StrSplit(webhook_secret, absl::MaxSplits('/', 1));
  if (secret_ref.size() != 2 || secret_ref[0].empty() || secret_ref[1].empty()) {
    werf::common::LogError("--webhook_secret must be namespace/name", {{"value", webhook_secret}});
    return 1;
  }
  std::unique_ptr<werf::poller::WebhookReceiver> webhooks;
  auto start_webhooks = [&]() -> absl::Status {
    if (absl::GetFlag(FLAGS_webhook_address).empty()) return absl::OkStatus();
    absl::StatusOr<std::unique_ptr<werf::poller::WebhookReceiver>> receiver = werf::poller::WebhookReceiver::Start(
        {.address = absl::GetFlag(FLAGS_webhook_address),
         .max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_webhook_max_body_bytes)),
         .qps = absl::GetFlag(FLAGS_webhook_qps),
         .burst = absl::GetFlag(FLAGS_webhook_burst)},
        std::make_unique<werf::poller::KubeWebhookSecrets>(kube, secret_ref[0], secret_ref[1]),
        [&poller](const werf::operator_::v1::RepositoryEvent& event) { return poller.ForwardEvent(event); });
    if (!receiver.ok()) return receiver.status();
    webhooks = *std::move(receiver);
    return absl::OkStatus();
  };
  const absl::Status served = werf::common::ServeUntilSignal({
      .name = "poller",
      .grpc_services = {&introspection},
      .health_service_names = {"werf.operator.v1.PollerService"},
      .readiness = [&]() -> absl::Status {
        return poller.connected() ? absl::OkStatus()
                                  : absl::UnavailableError("not connected to the controller's hub");
      },
      .on_serving =
          [&]() -> absl::Status {
            if (absl::Status started = poller.Start(); !started.ok()) return started;
            return start_webhooks();
          },
      .on_shutdown =
          [&] {
            if (webhooks != nullptr) webhooks->Stop();
            poller.Stop();
          },
  });
  return served.ok() ? 0 : 1;
}
