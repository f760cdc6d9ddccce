// Feeds the BundleCache and the bundle gauges from an informer on WerfBundles (list
// and watch only; the gateway never writes). Conversion happens once per change here,
// on the informer's thread, so requests only copy finished messages.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SOURCE_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "libs/kube/informer.h"
#include "libs/kube/rest_client.h"
#include "services/gateway/bundle_cache.h"
#include "services/gateway/bundle_metrics.h"

namespace werf::gateway {

class BundleSource {
 public:
  // `ns` empty: every namespace. `metrics` may be null.
  BundleSource(std::shared_ptr<kube::RestClient> client, std::string ns, BundleCache& cache,
               BundleMetrics* metrics);

  void Start() { informer_.Start(); }
  void Stop() { informer_.Stop(); }

  // The first list is in the cache.
  bool synced() const { return informer_.HasSynced(); }
  // OK once synced; for /readyz.
  absl::Status Readiness() const;

 private:
  void Store(const kube::ObjectPtr& object);
  void Forget(const kube::ObjectPtr& object);

  BundleCache& cache_;
  BundleMetrics* const metrics_;
  kube::Informer informer_;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SOURCE_H_
