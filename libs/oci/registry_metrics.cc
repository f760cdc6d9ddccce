#include "libs/oci/registry_metrics.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace werf::oci {
namespace {

// From a fast local registry (5 ms) to a slow token service behind a proxy (30 s).
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* const buckets =
      new prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

}  // namespace

RegistryMetrics::RegistryMetrics(prometheus::Registry* registry) {
  if (registry == nullptr) return;
  requests_ = &prometheus::BuildCounter()
                   .Name("werf_operator_registry_requests_total")
                   .Help("Registry HTTP requests by registry and status code (\"error\": no response)")
                   .Register(*registry);
  duration_ = &prometheus::BuildHistogram()
                   .Name("werf_operator_registry_request_duration_seconds")
                   .Help("Registry HTTP request latency")
                   .Register(*registry);
  not_modified_ = &prometheus::BuildCounter()
                       .Name("werf_operator_registry_not_modified_total")
                       .Help("Tag list requests answered 304 Not Modified")
                       .Register(*registry);
  rate_limit_waits_ = &prometheus::BuildCounter()
                           .Name("werf_operator_registry_rate_limit_waits_total")
                           .Help("Registry calls refused locally because a Retry-After wait was in force")
                           .Register(*registry);
}

void RegistryMetrics::RecordRequest(absl::string_view registry, int http_status, absl::Duration duration) {
  if (requests_ == nullptr) return;
  const std::string name(registry);
  requests_->Add({{"registry", name}, {"code", http_status > 0 ? absl::StrCat(http_status) : "error"}}).Increment();
  duration_->Add({{"registry", name}}, DurationBuckets()).Observe(absl::ToDoubleSeconds(duration));
}

void RegistryMetrics::RecordNotModified(absl::string_view registry) {
  if (not_modified_ != nullptr) not_modified_->Add({{"registry", std::string(registry)}}).Increment();
}

void RegistryMetrics::RecordRateLimitWait(absl::string_view registry) {
  if (rate_limit_waits_ != nullptr) rate_limit_waits_->Add({{"registry", std::string(registry)}}).Increment();
}

}  // namespace werf::oci
