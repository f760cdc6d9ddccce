// What the cluster holds that bundles refer to, from informers instead of a GET per
// reconcile: Namespaces and ServiceAccounts (metadata only), ConfigMaps and Secrets
// with every value replaced by its SHA-256 (so the cache can hash values and tell
// changes apart, but holds no secret). A change of a referenced object is reported
// at once, so a created ServiceAccount or an edited values Secret is acted on within
// seconds instead of at the next resync.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_REFERENCE_CACHE_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_REFERENCE_CACHE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/kube/informer.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"
#include "services/controller/bundle_spec.h"
#include "services/controller/decide.h"

namespace werf::controller {

// "Kind/namespace/name" ("Namespace//name" for namespaces): what a bundle refers to.
std::string ReferenceKey(const std::string& kind, const std::string& ns, const std::string& name);
// Every object the spec refers to, as reference keys.
std::vector<std::string> ReferencesOf(const BundleSpec& spec);

// The informer transform for ConfigMaps and Secrets: metadata (name, namespace,
// resourceVersion) and, per key of data and binaryData, the SHA-256 of its value.
nlohmann::json HashValues(nlohmann::json object);
// The informer transform for objects whose presence is all that matters (and the
// labels and annotations of Namespaces, where grants live).
nlohmann::json KeepMetadata(nlohmann::json object);

class ReferenceCache {
 public:
  // `on_change` gets the reference key of every added, changed or deleted object.
  // `values_key` keys the values hash (HMAC-SHA256); empty: plain SHA-256.
  ReferenceCache(std::shared_ptr<kube::RestClient> client, std::string watch_namespace, std::string values_key,
                 std::function<void(const std::string& reference_key)> on_change);
  ~ReferenceCache();

  void Start();
  void Stop();
  bool WaitForSync(absl::Duration timeout) const;

  // Missing references and the values hash for `spec`, from the caches.
  ClusterFacts FactsFor(const BundleSpec& spec) const;
  // An annotation of Namespace `ns`; nullopt when the Namespace or the annotation is absent.
  std::optional<std::string> NamespaceAnnotation(const std::string& ns, const std::string& key) const;

 private:
  const std::string values_key_;
  std::unique_ptr<kube::Informer> namespaces_;
  std::unique_ptr<kube::Informer> service_accounts_;
  std::unique_ptr<kube::Informer> config_maps_;
  std::unique_ptr<kube::Informer> secrets_;
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_REFERENCE_CACHE_H_
