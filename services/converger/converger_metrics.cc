#include "services/converger/converger_metrics.h"

#include <map>
#include <string>

#include "absl/time/time.h"
#include "libs/common/metrics.h"
#include "libs/hub/job_labels.h"
#include "services/converger/job_observation.h"

namespace werf::converger {
namespace {

std::map<std::string, std::string> KindLabel(pb::JobKind kind) {
  const absl::string_view label = hub::JobKindLabel(kind);
  return {{"kind", label.empty() ? "unknown" : std::string(label)}};
}

}  // namespace

ConvergerMetrics& ConvergerMetrics::Get() {
  static auto* metrics = new ConvergerMetrics();
  return *metrics;
}

ConvergerMetrics::ConvergerMetrics()
    : created_(prometheus::BuildCounter()
                   .Name("werf_operator_converger_jobs_created_total")
                   .Help("werf Jobs created by this converger, by kind (apply, drift-check).")
                   .Register(common::MetricsRegistry())),
      succeeded_(prometheus::BuildCounter()
                     .Name("werf_operator_converger_jobs_succeeded_total")
                     .Help("werf Jobs seen to succeed, by kind; a drift check that found drift succeeded.")
                     .Register(common::MetricsRegistry())),
      failed_(prometheus::BuildCounter()
                  .Name("werf_operator_converger_jobs_failed_total")
                  .Help("werf Jobs seen to fail, by kind.")
                  .Register(common::MetricsRegistry())),
      duration_(prometheus::BuildHistogram()
                    .Name("werf_operator_converger_job_duration_seconds")
                    .Help("Time from a werf Job's start to its end, by kind.")
                    .Register(common::MetricsRegistry())),
      drift_checks_(prometheus::BuildCounter()
                        .Name("werf_operator_converger_drift_checks_total")
                        .Help("Drift checks (werf bundle plan --exit-code) finished, whatever the result.")
                        .Register(common::MetricsRegistry())
                        .Add({})),
      drift_detected_(prometheus::BuildCounter()
                          .Name("werf_operator_converger_drift_detected_total")
                          .Help("Drift checks that found the cluster differing from the bundle.")
                          .Register(common::MetricsRegistry())
                          .Add({})),
      active_(prometheus::BuildGauge()
                  .Name("werf_operator_converger_active_jobs")
                  .Help("werf Jobs that have not finished.")
                  .Register(common::MetricsRegistry())
                  .Add({})) {
  // Zero series for both kinds, so rates exist before the first Job.
  for (pb::JobKind kind : {pb::JOB_KIND_APPLY, pb::JOB_KIND_DRIFT_CHECK}) {
    created_.Add(KindLabel(kind));
    succeeded_.Add(KindLabel(kind));
    failed_.Add(KindLabel(kind));
  }
}

void ConvergerMetrics::JobCreated(pb::JobKind kind) { created_.Add(KindLabel(kind)).Increment(); }

void ConvergerMetrics::JobFinished(const pb::JobObservation& observation) {
  const auto labels = KindLabel(observation.kind());
  if (observation.phase() == pb::JOB_PHASE_SUCCEEDED) {
    succeeded_.Add(labels).Increment();
  } else if (observation.phase() == pb::JOB_PHASE_FAILED) {
    failed_.Add(labels).Increment();
  }
  if (observation.has_started_at() && observation.has_finished_at()) {
    static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
        5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600};
    const double seconds = absl::ToDoubleSeconds(FromTimestamp(observation.finished_at()) -
                                                 FromTimestamp(observation.started_at()));
    duration_.Add(labels, *buckets).Observe(seconds < 0 ? 0 : seconds);
  }
  if (observation.kind() == pb::JOB_KIND_DRIFT_CHECK) {
    drift_checks_.Increment();
    if (observation.drift() == pb::DRIFT_RESULT_DRIFTED) drift_detected_.Increment();
  }
}

void ConvergerMetrics::SetActiveJobs(int count) { active_.Set(count); }

}  // namespace werf::converger
