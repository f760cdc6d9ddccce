#include "services/gateway/gateway_metrics.h"

#include <string>

#include "libs/common/metrics.h"

namespace werf::gateway {

GatewayMetrics& Metrics() {
  static GatewayMetrics* const metrics = [] {
    prometheus::Registry& registry = common::MetricsRegistry();
    auto& rejected_family = prometheus::BuildCounter()
                                .Name("werf_operator_gateway_watches_rejected_total")
                                .Help("Watches refused because --max_watches were open.")
                                .Register(registry);
    return new GatewayMetrics{
        .access_reviews = prometheus::BuildCounter()
                              .Name("werf_operator_gateway_access_reviews_total")
                              .Help("TokenReviews and SubjectAccessReviews sent to the API "
                                    "server, by review and outcome.")
                              .Register(registry),
        .watches = prometheus::BuildGauge()
                       .Name("werf_operator_gateway_watches")
                       .Help("Open bundle watches, by transport.")
                       .Register(registry),
        .watch_resyncs = prometheus::BuildCounter()
                             .Name("werf_operator_gateway_watch_resyncs_total")
                             .Help("Watches that missed changes and were sent a fresh snapshot.")
                             .Register(registry),
        .watch_rechecks = prometheus::BuildCounter()
                              .Name("werf_operator_gateway_watch_rechecks_total")
                              .Help("Access re-checks of open watches, by outcome; every "
                                    "outcome but allowed ends the watch.")
                              .Register(registry),
        .watches_rejected = rejected_family.Add({}),
        .http_requests = prometheus::BuildCounter()
                             .Name("werf_operator_gateway_http_requests_total")
                             .Help("HTTP API and dashboard requests, by route and status code.")
                             .Register(registry),
        .http_latency = prometheus::BuildHistogram()
                            .Name("werf_operator_gateway_http_request_seconds")
                            .Help("Time to answer an HTTP API or dashboard request (for watches: "
                                  "until the stream starts).")
                            .Register(registry),
    };
  }();
  return *metrics;
}

const prometheus::Histogram::BucketBoundaries& HttpLatencyBuckets() {
  static const auto* const buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  return *buckets;
}

void CountAccessReview(absl::string_view review, absl::string_view outcome) {
  Metrics()
      .access_reviews.Add({{"review", std::string(review)}, {"outcome", std::string(outcome)}})
      .Increment();
}

void CountWatchRecheck(absl::string_view transport, const absl::Status& outcome) {
  absl::string_view name = "error";
  if (outcome.ok()) {
    name = "allowed";
  } else if (absl::IsUnauthenticated(outcome)) {
    name = "unauthenticated";
  } else if (absl::IsPermissionDenied(outcome)) {
    name = "revoked";
  }
  Metrics()
      .watch_rechecks.Add({{"transport", std::string(transport)}, {"outcome", std::string(name)}})
      .Increment();
}

}  // namespace werf::gateway
