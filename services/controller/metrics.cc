#include "services/controller/metrics.h"

#include "libs/common/metrics.h"

namespace werf::controller {

ControllerMetricSet& ControllerMetrics() {
  static auto* metrics = [] {
    prometheus::Registry& registry = common::MetricsRegistry();
    return new ControllerMetricSet{
        prometheus::BuildCounter()
            .Name("werf_operator_controller_reconciles_total")
            .Help("Reconciles by result: success, requeue, conflict, error.")
            .Register(registry),
        prometheus::BuildHistogram()
            .Name("werf_operator_controller_reconcile_duration_seconds")
            .Help("Time one reconcile took.")
            .Register(registry)
            .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                             0.25, 0.5, 1, 2.5, 5, 10}),
        prometheus::BuildCounter()
            .Name("werf_operator_controller_status_writes_total")
            .Help("WerfBundle status updates sent (unchanged statuses are never written).")
            .Register(registry)
            .Add({}),
        prometheus::BuildGauge()
            .Name("werf_operator_controller_bundles")
            .Help("WerfBundles by status phase.")
            .Register(registry),
        prometheus::BuildGauge()
            .Name("werf_operator_controller_hub_workers")
            .Help("Workers connected to the hub, by kind.")
            .Register(registry),
        prometheus::BuildGauge()
            .Name("werf_operator_controller_repositories_tracked")
            .Help("Distinct repository schedules handed to pollers.")
            .Register(registry)
            .Add({}),
        prometheus::BuildCounter()
            .Name("werf_operator_controller_converges_requested_total")
            .Help("Converge requests sent to the hub, by kind (apply, drift-check).")
            .Register(registry),
        prometheus::BuildCounter()
            .Name("werf_operator_controller_drift_corrections_total")
            .Help("Re-applies after a drift check found the cluster changed, that succeeded.")
            .Register(registry)
            .Add({}),
        prometheus::BuildCounter()
            .Name("werf_operator_controller_webhook_events_total")
            .Help("Repository events from the pollers' webhook receivers, by source and result "
                  "(routed: some bundle wants the repository; unknown_repository: none does).")
            .Register(registry),
        prometheus::BuildCounter()
            .Name("werf_operator_controller_notifications_total")
            .Help("Notification attempts by sink kind and result (delivered, skipped, failed, dropped).")
            .Register(registry),
        prometheus::BuildHistogram()
            .Name("werf_operator_controller_notification_duration_seconds")
            .Help("Time one notification delivery took, by sink kind.")
            .Register(registry),
        prometheus::BuildGauge()
            .Name("werf_operator_controller_notifications_pending")
            .Help("Outcomes waiting to be delivered, over every bundle and sink.")
            .Register(registry)
            .Add({}),
    };
  }();
  return *metrics;
}

}  // namespace werf::controller
