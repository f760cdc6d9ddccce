// werf-gateway: read-only bundle state for dashboards and CLIs over gRPC and HTTP/JSON.
#include <memory>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/common/service_runner.h"
#include "libs/kube/client_flags.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "services/gateway/access_control.h"
#include "services/gateway/bundle_cache.h"
#include "services/gateway/bundle_metrics.h"
#include "services/gateway/bundle_queries.h"
#include "services/gateway/bundle_service.h"
#include "services/gateway/bundle_source.h"
#include "services/gateway/elastic_task_queue.h"
#include "services/gateway/gateway_flags.h"
#include "services/gateway/http_api.h"
#include "services/gateway/kube_access_reviewer.h"
#include "services/gateway/watch_limiter.h"

namespace werf::gateway {
namespace {

// HTTP threads beyond those SSE watches may hold, for the JSON API and probes.
constexpr size_t kHttpThreadsBesideWatches = 32;

absl::Status Run(const GatewayFlags& flags) {
  absl::StatusOr<kube::ClusterConfig> cluster = kube::LoadClusterConfig(absl::GetFlag(FLAGS_kubeconfig));
  if (!cluster.ok()) return cluster.status();
  const std::string origin = cluster->origin;
  // One client for the informer; another for access reviews, whose bursts (a
  // cluster-wide request by a user with many namespaces) must not delay the watch.
  absl::StatusOr<std::shared_ptr<kube::RestClient>> watch_client = kube::RestClientFromFlags(*cluster);
  if (!watch_client.ok()) return watch_client.status();
  absl::StatusOr<std::shared_ptr<kube::RestClient>> review_client = kube::RestClient::Create(
      *std::move(cluster), kube::RestOptions{.qps = 100, .burst = 200, .timeout = absl::Seconds(10)});
  if (!review_client.ok()) return review_client.status();

  // One clock for the watch path and the Authorizer: a watch's heartbeats, re-checks
  // and its token's expiry are compared on it.
  common::Clock& clock = common::RealClock();
  BundleCache cache({.change_log_capacity = static_cast<size_t>(flags.watch_change_log_size),
                     .clock = &clock});
  BundleMetrics metrics(common::MetricsRegistry());
  BundleSource source(*watch_client, flags.watch_namespace, cache, &metrics);
  Authorizer authorizer(flags.auth ? std::make_shared<KubeAccessReviewer>(*review_client,
                                                                           flags.auth_token_audiences)
                                    : nullptr,
                        {.cache_ttl = flags.auth_cache_ttl, .clock = &clock});
  WatchLimiter limiter(flags.max_watches);
  BundleQueries queries(cache, authorizer, limiter,
                        {.max_page_size = flags.max_page_size,
                         .watch_namespace = flags.watch_namespace,
                         .watch = {.heartbeat_interval = flags.watch_heartbeat_interval,
                                   .recheck_interval = flags.watch_reauth_interval},
                         .synced = [&source] { return source.synced(); }});
  BundleServiceImpl grpc_service(queries, authorizer);
  HttpApi http_api(queries, authorizer, {.cors_allowed_origins = flags.cors_allowed_origins});

  common::LogInfo("gateway configured",
                  {{"cluster", origin},
                   {"auth", flags.auth},
                   {"watch_reauth_interval", absl::FormatDuration(flags.watch_reauth_interval)},
                   {"watch_namespace", flags.watch_namespace},
                   {"max_watches", flags.max_watches},
                   {"max_page_size", flags.max_page_size}});
  const size_t http_threads = static_cast<size_t>(flags.max_watches) + kHttpThreadsBesideWatches;
  return common::ServeUntilSignal({
      .name = "gateway",
      .grpc_services = {&grpc_service},
      .health_service_names = {"werf.operator.v1.BundleService"},
      .readiness = [&source] { return source.Readiness(); },
      .http_routes =
          [&http_api, http_threads](httplib::Server& server) {
            server.new_task_queue = [http_threads] { return new ElasticTaskQueue(http_threads); };
            http_api.Register(server);
          },
      .on_serving =
          [&source] {
            source.Start();
            return absl::OkStatus();
          },
      .on_shutdown =
          [&cache, &source] {
            cache.Close();  // ends every watch, so the drain does not wait for them
            source.Stop();
          },
  });
}

}  // namespace
}  // namespace werf::gateway

int main(int argc, char** argv) {
  return werf::common::ServiceMain<werf::gateway::GatewayFlags>(
      "gateway", argc, argv,
      "werf-gateway: serves WerfBundle state read-only over gRPC and HTTP/JSON, with a live\n"
      "dashboard at / . See services/gateway/README.md.\n"
      "Flags may also be set as WERF_<FLAG_NAME> environment variables.",
      werf::gateway::ReadGatewayFlags, werf::gateway::Run);
}
