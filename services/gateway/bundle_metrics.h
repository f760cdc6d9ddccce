// Per-bundle Prometheus gauges, for Grafana (deploy/grafana/werf-operator-dashboard.json):
//
//   werf_operator_bundle_info{namespace,name,phase,applied_tag,latest_tag} 1
//   werf_operator_bundle_last_sync_timestamp_seconds{namespace,name}   (once synced)
//   werf_operator_bundle_consecutive_failures{namespace,name}
//
// phase is Syncing, Synced, Failed or Unknown. A bundle's series follow it: new label
// values replace the old series, a deleted bundle's series disappear. Scrape with
// honor_labels: true, or Prometheus renames `namespace` to `exported_namespace`.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_METRICS_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_METRICS_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/gateway/bundle_key.h"
#include "werf/operator/v1/bundle.pb.h"

namespace werf::gateway {

namespace pb = ::werf::operator_::v1;

// "Syncing", "Synced", "Failed", "Unknown".
absl::string_view PhaseLabel(pb::BundlePhase phase);

class BundleMetrics {
 public:
  explicit BundleMetrics(prometheus::Registry& registry);

  BundleMetrics(const BundleMetrics&) = delete;
  BundleMetrics& operator=(const BundleMetrics&) = delete;

  void Set(const pb::Bundle& bundle) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(const BundleKey& key) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Series {
    std::string phase;
    std::string applied_tag;
    std::string latest_tag;
    prometheus::Gauge* info = nullptr;
    prometheus::Gauge* last_sync = nullptr;
    prometheus::Gauge* failures = nullptr;
  };

  void RemoveLocked(Series& series) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  prometheus::Family<prometheus::Gauge>& info_;
  prometheus::Family<prometheus::Gauge>& last_sync_;
  prometheus::Family<prometheus::Gauge>& failures_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Series> series_ ABSL_GUARDED_BY(mu_);  // by "namespace/name"
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_METRICS_H_
