// The poller's own metrics (werf_operator_poller_*); registry request metrics
// come from the registry client (werf_operator_registry_*).
#ifndef WERF_OPERATOR_SERVICES_POLLER_METRICS_H_
#define WERF_OPERATOR_SERVICES_POLLER_METRICS_H_

#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::poller {

struct PollerMetricSet {
  prometheus::Gauge& repositories;
  prometheus::Family<prometheus::Counter>& polls;
  prometheus::Family<prometheus::Counter>& changes;
  prometheus::Counter& budget_waits;
  prometheus::Family<prometheus::Counter>& webhook_events;

  void Poll(const std::string& result) { polls.Add({{"result", result}}).Increment(); }
  void Change(::werf::operator_::v1::RepositoryObservation::ChangeCase change);
  void WebhookDelivery(const std::string& source, const std::string& result) {
    webhook_events.Add({{"source", source}, {"result", result}}).Increment();
  }
};

PollerMetricSet& PollerMetrics();

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_METRICS_H_
