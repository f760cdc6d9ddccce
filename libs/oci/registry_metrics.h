// Prometheus metrics of registry traffic, labelled by canonical registry (a
// bounded set: the registries bundles name), never by repository.
//
//   werf_operator_registry_requests_total{registry,code}   code: HTTP status, or "error" when none came
//   werf_operator_registry_request_duration_seconds{registry}
//   werf_operator_registry_not_modified_total{registry}    tag lists answered 304
//   werf_operator_registry_rate_limit_waits_total{registry} calls refused locally during a Retry-After wait
#ifndef WERF_OPERATOR_LIBS_OCI_REGISTRY_METRICS_H_
#define WERF_OPERATOR_LIBS_OCI_REGISTRY_METRICS_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace werf::oci {

class RegistryMetrics {
 public:
  // With a null registry every method is a no-op.
  explicit RegistryMetrics(prometheus::Registry* registry);

  RegistryMetrics(const RegistryMetrics&) = delete;
  RegistryMetrics& operator=(const RegistryMetrics&) = delete;

  // One request finished; http_status 0 means no response arrived.
  void RecordRequest(absl::string_view registry, int http_status, absl::Duration duration);
  void RecordNotModified(absl::string_view registry);
  void RecordRateLimitWait(absl::string_view registry);

 private:
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* duration_ = nullptr;
  prometheus::Family<prometheus::Counter>* not_modified_ = nullptr;
  prometheus::Family<prometheus::Counter>* rate_limit_waits_ = nullptr;
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_REGISTRY_METRICS_H_
