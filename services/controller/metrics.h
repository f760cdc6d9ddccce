// The controller's Prometheus metrics (werf_operator_controller_*).
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_METRICS_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_METRICS_H_

#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace werf::controller {

struct ControllerMetricSet {
  prometheus::Family<prometheus::Counter>& reconciles;
  prometheus::Histogram& reconcile_seconds;
  prometheus::Counter& status_writes;
  prometheus::Family<prometheus::Gauge>& bundles;
  prometheus::Family<prometheus::Gauge>& workers;
  prometheus::Gauge& repositories_tracked;
  prometheus::Family<prometheus::Counter>& converges;
  prometheus::Counter& drift_corrections;
  prometheus::Family<prometheus::Counter>& webhook_events;
  prometheus::Family<prometheus::Counter>& notifications;
  prometheus::Family<prometheus::Histogram>& notification_seconds;
  prometheus::Gauge& notifications_pending;

  void ReconcileResult(const std::string& result) { reconciles.Add({{"result", result}}).Increment(); }
  prometheus::Gauge& Bundles(const std::string& phase) { return bundles.Add({{"phase", phase}}); }
  prometheus::Gauge& Workers(const std::string& kind) { return workers.Add({{"kind", kind}}); }
  void Converge(const std::string& kind) { converges.Add({{"kind", kind}}).Increment(); }
  void WebhookEvent(const std::string& source, const std::string& result) {
    webhook_events.Add({{"source", source}, {"result", result}}).Increment();
  }
  // result: delivered, skipped, failed (an attempt), dropped (left history undelivered).
  void Notification(const std::string& sink_kind, const std::string& result) {
    notifications.Add({{"sink_kind", sink_kind}, {"result", result}}).Increment();
  }
  prometheus::Histogram& NotificationSeconds(const std::string& sink_kind) {
    return notification_seconds.Add({{"sink_kind", sink_kind}},
                                    prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  }
};

ControllerMetricSet& ControllerMetrics();

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_METRICS_H_
