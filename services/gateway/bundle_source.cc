#include "services/gateway/bundle_source.h"

#include <utility>

#include "libs/common/logging.h"
#include "services/gateway/bundle_convert.h"

namespace werf::gateway {
namespace {

// Namespace and name for logs, read without assuming the object is well formed.
std::pair<std::string, std::string> Identity(const nlohmann::json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {"", ""};
  const auto text = [&](const char* key) {
    const auto it = metadata->find(key);
    return it != metadata->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return {text("namespace"), text("name")};
}

}  // namespace

BundleSource::BundleSource(std::shared_ptr<kube::RestClient> client, std::string ns,
                           BundleCache& cache, BundleMetrics* metrics)
    : cache_(cache),
      metrics_(metrics),
      // The cache keeps each bundle once, converted; the informer's store only what a
      // relist needs to tell updates and deletions (namespace, name, resourceVersion).
      informer_(std::move(client), kube::InformerOptions{.resource = kube::resources::kWerfBundles,
                                                         .ns = std::move(ns),
                                                         .name = "gateway-werfbundles",
                                                         .store_projection = kube::IdentityOnly}) {
  informer_.AddHandlers({
      .on_add = [this](const kube::ObjectPtr& object) { Store(object); },
      .on_update = [this](const kube::ObjectPtr&, const kube::ObjectPtr& object) { Store(object); },
      .on_delete = [this](const kube::ObjectPtr& object) { Forget(object); },
  });
}

absl::Status BundleSource::Readiness() const {
  if (synced()) return absl::OkStatus();
  return absl::UnavailableError("waiting for the first list of werfbundles.werf.io");
}

void BundleSource::Store(const kube::ObjectPtr& object) {
  absl::StatusOr<ConvertedBundle> converted = BundleFromObject(*object);
  if (!converted.ok()) {
    const auto [ns, name] = Identity(*object);
    common::LogWarning("ignoring a WerfBundle the gateway cannot read",
                       {{"namespace", ns}, {"bundle", name}, {"error", converted.status().ToString()}});
    return;
  }
  if (metrics_ != nullptr) metrics_->Set(converted->bundle);
  const BundleKey key{converted->bundle.namespace_(), converted->bundle.name()};
  // Logged once per change: relists re-deliver unchanged objects, which Upsert skips.
  if (cache_.Upsert(std::move(converted->bundle)) && !converted->problems.empty()) {
    common::LogWarning("WerfBundle has fields the gateway cannot read; serving the rest",
                       {{"namespace", key.ns}, {"bundle", key.name}, {"problems", converted->problems}});
  }
}

void BundleSource::Forget(const kube::ObjectPtr& object) {
  const auto [ns, name] = Identity(*object);
  if (name.empty()) return;
  const BundleKey key{ns, name};
  if (metrics_ != nullptr) metrics_->Remove(key);
  cache_.Remove(key);
}

}  // namespace werf::gateway
