#include "services/gateway/bundle_metrics.h"

#include <map>

#include "google/protobuf/util/time_util.h"

namespace werf::gateway {

absl::string_view PhaseLabel(pb::BundlePhase phase) {
  switch (phase) {
    case pb::BUNDLE_PHASE_SYNCING: return "Syncing";
    case pb::BUNDLE_PHASE_SYNCED: return "Synced";
    case pb::BUNDLE_PHASE_FAILED: return "Failed";
    default: return "Unknown";
  }
}

BundleMetrics::BundleMetrics(prometheus::Registry& registry)
    : info_(prometheus::BuildGauge()
                .Name("werf_operator_bundle_info")
                .Help("1 for every WerfBundle, labelled with its phase and its applied and latest tags.")
                .Register(registry)),
      last_sync_(prometheus::BuildGauge()
                     .Name("werf_operator_bundle_last_sync_timestamp_seconds")
                     .Help("When the WerfBundle last became Synced (status.lastSyncTime), in Unix seconds.")
                     .Register(registry)),
      failures_(prometheus::BuildGauge()
                    .Name("werf_operator_bundle_consecutive_failures")
                    .Help("Failed converges in a row of the WerfBundle (status.consecutiveFailures).")
                    .Register(registry)) {}

void BundleMetrics::RemoveLocked(Series& series) {
  if (series.info != nullptr) info_.Remove(series.info);
  if (series.last_sync != nullptr) last_sync_.Remove(series.last_sync);
  if (series.failures != nullptr) failures_.Remove(series.failures);
  series = Series{};
}

void BundleMetrics::Set(const pb::Bundle& bundle) {
  const std::map<std::string, std::string> identity = {{"namespace", bundle.namespace_()},
                                                       {"name", bundle.name()}};
  const std::string phase(PhaseLabel(bundle.phase()));
  absl::MutexLock lock(&mu_);
  Series& series = series_[BundleKey{bundle.namespace_(), bundle.name()}.ToString()];
  if (series.info == nullptr || series.phase != phase ||
      series.applied_tag != bundle.last_applied_tag() || series.latest_tag != bundle.latest_tag()) {
    if (series.info != nullptr) info_.Remove(series.info);
    series.phase = phase;
    series.applied_tag = bundle.last_applied_tag();
    series.latest_tag = bundle.latest_tag();
    series.info = &info_.Add({{"namespace", bundle.namespace_()},
                              {"name", bundle.name()},
                              {"phase", phase},
                              {"applied_tag", series.applied_tag},
                              {"latest_tag", series.latest_tag}});
    series.info->Set(1);
  }
  if (bundle.has_last_sync_time()) {
    if (series.last_sync == nullptr) series.last_sync = &last_sync_.Add(identity);
    series.last_sync->Set(static_cast<double>(
        google::protobuf::util::TimeUtil::TimestampToMilliseconds(bundle.last_sync_time())) / 1000.0);
  } else if (series.last_sync != nullptr) {
    last_sync_.Remove(series.last_sync);
    series.last_sync = nullptr;
  }
  if (series.failures == nullptr) series.failures = &failures_.Add(identity);
  series.failures->Set(bundle.consecutive_failures());
}

void BundleMetrics::Remove(const BundleKey& key) {
  absl::MutexLock lock(&mu_);
  const auto it = series_.find(key.ToString());
  if (it == series_.end()) return;
  RemoveLocked(it->second);
  series_.erase(it);
}

}  // namespace werf::gateway
