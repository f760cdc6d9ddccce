// The gateway's own operational metrics (the bundle gauges are in bundle_metrics.h),
// registered once in the process registry that /metrics serves.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_GATEWAY_METRICS_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_GATEWAY_METRICS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace werf::gateway {

struct GatewayMetrics {
  // werf_operator_gateway_access_reviews_total{review="token|access",outcome="allowed|denied|error"}:
  // reviews sent to the API server (cache hits are not reviews).
  prometheus::Family<prometheus::Counter>& access_reviews;
  // werf_operator_gateway_watches{transport="grpc|sse"}: open watches.
  prometheus::Family<prometheus::Gauge>& watches;
  // werf_operator_gateway_watch_resyncs_total{transport}: watches that fell behind the
  // change log (or resumed from a revision no longer held) and got a fresh snapshot.
  prometheus::Family<prometheus::Counter>& watch_resyncs;
  // werf_operator_gateway_watch_rechecks_total{transport,outcome="allowed|unauthenticated|
  // revoked|error"}: access re-checks of open watches (--watch_reauth_interval); every
  // outcome but `allowed` ends the watch.
  prometheus::Family<prometheus::Counter>& watch_rechecks;
  // werf_operator_gateway_watches_rejected_total: watches refused at --max_watches.
  prometheus::Counter& watches_rejected;
  // werf_operator_gateway_http_requests_total{route,code} and
  // werf_operator_gateway_http_request_seconds{route} for the JSON API and dashboard.
  prometheus::Family<prometheus::Counter>& http_requests;
  prometheus::Family<prometheus::Histogram>& http_latency;
};

GatewayMetrics& Metrics();

// The bucket boundaries of werf_operator_gateway_http_request_seconds.
const prometheus::Histogram::BucketBoundaries& HttpLatencyBuckets();

void CountAccessReview(absl::string_view review, absl::string_view outcome);
// One re-check of an open watch, by its outcome.
void CountWatchRecheck(absl::string_view transport, const absl::Status& outcome);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_GATEWAY_METRICS_H_
