// The converger's Prometheus metrics, registered once in the process registry
// (common::MetricsRegistry(), served on /metrics).
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_METRICS_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_METRICS_H_

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

class ConvergerMetrics {
 public:
  static ConvergerMetrics& Get();

  // werf_operator_converger_jobs_created_total{kind}: Jobs this process created (adoptions excluded).
  void JobCreated(werf::operator_::v1::JobKind kind);
  // A Job this process saw running has finished: jobs_succeeded_total / jobs_failed_total{kind},
  // job_duration_seconds{kind}, and for drift checks drift_checks_total / drift_detected_total.
  // Jobs already finished when the process started are not counted again.
  void JobFinished(const werf::operator_::v1::JobObservation& observation);
  // werf_operator_converger_active_jobs: werf Jobs that have not finished.
  void SetActiveJobs(int count);

 private:
  ConvergerMetrics();

  prometheus::Family<prometheus::Counter>& created_;
  prometheus::Family<prometheus::Counter>& succeeded_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Counter& drift_checks_;
  prometheus::Counter& drift_detected_;
  prometheus::Gauge& active_;
};

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_METRICS_H_
