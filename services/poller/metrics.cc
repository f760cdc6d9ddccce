#include "services/poller/metrics.h"

#include "libs/common/metrics.h"

namespace werf::poller {

namespace pb = ::werf::operator_::v1;

void PollerMetricSet::Change(pb::RepositoryObservation::ChangeCase change) {
  const char* kind = "unknown";
  switch (change) {
    case pb::RepositoryObservation::kTagsChanged: kind = "tags"; break;
    case pb::RepositoryObservation::kDigestChanged: kind = "digest"; break;
    case pb::RepositoryObservation::kPollFailed: kind = "failure"; break;
    case pb::RepositoryObservation::kPollRecovered: kind = "recovery"; break;
    case pb::RepositoryObservation::kPollThrottled: kind = "throttled"; break;
    case pb::RepositoryObservation::CHANGE_NOT_SET: break;
  }
  changes.Add({{"kind", kind}}).Increment();
}

PollerMetricSet& PollerMetrics() {
  static auto* metrics = [] {
    prometheus::Registry& registry = common::MetricsRegistry();
    return new PollerMetricSet{
        prometheus::BuildGauge()
            .Name("werf_operator_poller_repositories_tracked")
            .Help("Repositories this poller is assigned.")
            .Register(registry)
            .Add({}),
        prometheus::BuildCounter()
            .Name("werf_operator_poller_polls_total")
            .Help("Polls by result (success, failure, throttled).")
            .Register(registry),
        prometheus::BuildCounter()
            .Name("werf_operator_poller_changes_reported_total")
            .Help("Observations sent to the hub, by kind (tags, digest, failure, recovery).")
            .Register(registry),
        prometheus::BuildCounter()
            .Name("werf_operator_poller_budget_waits_total")
            .Help("Polls delayed by the per-registry request budget.")
            .Register(registry)
            .Add({}),
        prometheus::BuildCounter()
            .Name("werf_operator_webhook_events_total")
            .Help("Webhook deliveries by source and result (accepted, ignored, malformed, unauthorized, "
                  "disabled, too_large, rate_limited, unavailable).")
            .Register(registry),
    };
  }();
  return *metrics;
}

}  // namespace werf::poller
