#include "services/controller/reference_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/hashing.h"
#include "libs/kube/object_store.h"

namespace werf::controller {
namespace {

using Json = nlohmann::json;

// Helm (and so werf) keeps every release revision as a Secret of this type: often
// most of a cluster's Secrets and bytes, and never a bundle's values or credentials.
constexpr char kNotHelmReleases[] = "type!=helm.sh/release.v1";

std::unique_ptr<kube::Informer> MakeInformer(std::shared_ptr<kube::RestClient> client,
                                             const kube::Resource& resource, std::string ns,
                                             std::function<Json(Json)> transform,
                                             std::string field_selector, bool metadata_only,
                                             const std::function<void(const std::string&)>& on_change,
                                             std::string kind) {
  auto informer = std::make_unique<kube::Informer>(
      std::move(client), kube::InformerOptions{.resource = resource,
                                               .ns = std::move(ns),
                                               .field_selector = std::move(field_selector),
                                               .metadata_only = metadata_only,
                                               .name = absl::StrCat("references-", resource.resource),
                                               .transform = std::move(transform)});
  const auto notify = [on_change, kind](const kube::ObjectPtr& object) {
    const Json& metadata = (*object)["metadata"];
    on_change(ReferenceKey(kind, metadata.value("namespace", ""), metadata.value("name", "")));
  };
  informer->AddHandlers({.on_add = notify,
                         .on_update = [notify](const kube::ObjectPtr&, const kube::ObjectPtr& now) {
                           notify(now);
                         },
                         .on_delete = notify});
  return informer;
}

}  // namespace

std::string ReferenceKey(const std::string& kind, const std::string& ns, const std::string& name) {
  return absl::StrCat(kind, "/", ns, "/", name);
}

std::vector<std::string> ReferencesOf(const BundleSpec& spec) {
  std::vector<std::string> keys = {ReferenceKey("Namespace", "", spec.target_namespace),
                                   ReferenceKey("ServiceAccount", spec.target_namespace,
                                                spec.service_account)};
  // The bundle's own Namespace holds the default notification sinks (notifications.h).
  if (spec.ns != spec.target_namespace) keys.push_back(ReferenceKey("Namespace", "", spec.ns));
  if (!spec.secret_name.empty()) keys.push_back(ReferenceKey("Secret", spec.ns, spec.secret_name));
  if (!spec.ca_secret_name.empty()) keys.push_back(ReferenceKey("Secret", spec.ns, spec.ca_secret_name));
  for (const ValuesSourceSpec& source : spec.values_from) {
    keys.push_back(ReferenceKey(source.is_secret ? "Secret" : "ConfigMap", spec.ns, source.name));
  }
  return keys;
}

Json KeepMetadata(Json object) {
  Json metadata = object.value("metadata", Json::object());
  Json kept = {{"name", metadata.value("name", "")}};
  for (const char* field : {"namespace", "uid", "resourceVersion", "labels", "annotations"}) {
    if (metadata.contains(field)) kept[field] = std::move(metadata[field]);
  }
  return Json{{"metadata", std::move(kept)}};
}

Json HashValues(Json object) {
  Json hashes = Json::object();
  for (const char* field : {"data", "binaryData"}) {
    if (!object.contains(field) || !object[field].is_object()) continue;
    for (const auto& [key, value] : object[field].items()) {
      if (!value.is_string()) continue;
      // A key may be in data or binaryData (never both); either way its content counts.
      hashes[key] = common::Sha256Hex(absl::StrCat(field, ":", value.get<std::string>()));
    }
  }
  const std::string type = object.value("type", "");
  Json kept = KeepMetadata(std::move(object));
  kept["hashes"] = std::move(hashes);
  if (!type.empty()) kept["type"] = type;  // how a registry Secret's content is read
  return kept;
}

ReferenceCache::ReferenceCache(std::shared_ptr<kube::RestClient> client, std::string watch_namespace,
                               std::string values_key, std::function<void(const std::string&)> on_change)
    : values_key_(std::move(values_key)) {
  // Target namespaces and their ServiceAccounts may lie outside a watched namespace
  // (bundles of the operator's own namespace deploy anywhere); values and
  // credentials always come from the bundle's own namespace.
  // Namespaces and ServiceAccounts: metadata is all that is read, so only metadata is
  // asked for. ConfigMaps and Secrets need their values (hashed on arrival).
  namespaces_ = MakeInformer(client, kube::resources::kNamespaces, "", KeepMetadata, "", /*metadata_only=*/true,
                             on_change, "Namespace");
  service_accounts_ = MakeInformer(client, kube::resources::kServiceAccounts, "", KeepMetadata, "",
                                   /*metadata_only=*/true, on_change, "ServiceAccount");
  config_maps_ = MakeInformer(client, kube::resources::kConfigMaps, watch_namespace, HashValues, "",
                              /*metadata_only=*/false, on_change, "ConfigMap");
  secrets_ = MakeInformer(client, kube::resources::kSecrets, watch_namespace, HashValues, kNotHelmReleases,
                          /*metadata_only=*/false, on_change, "Secret");
}

ReferenceCache::~ReferenceCache() { Stop(); }

void ReferenceCache::Start() {
  for (kube::Informer* informer :
       {namespaces_.get(), service_accounts_.get(), config_maps_.get(), secrets_.get()}) {
    informer->Start();
  }
}

void ReferenceCache::Stop() {
  for (kube::Informer* informer :
       {namespaces_.get(), service_accounts_.get(), config_maps_.get(), secrets_.get()}) {
    informer->Stop();
  }
}

bool ReferenceCache::WaitForSync(absl::Duration timeout) const {
  // Real time, as the informers' own sync waits (absl::Notification) measure it.
  const absl::Time deadline = absl::Now() + timeout;
  for (const kube::Informer* informer :
       {namespaces_.get(), service_accounts_.get(), config_maps_.get(), secrets_.get()}) {
    if (!informer->WaitForSync(deadline - absl::Now())) return false;
  }
  return true;
}

std::optional<std::string> ReferenceCache::NamespaceAnnotation(const std::string& ns, const std::string& key) const {
  const kube::ObjectPtr object = namespaces_->store().Get(ns);
  if (object == nullptr) return std::nullopt;
  const nlohmann::json annotations = (*object)["metadata"].value("annotations", nlohmann::json::object());
  const auto value = annotations.find(key);
  if (value == annotations.end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

ClusterFacts ReferenceCache::FactsFor(const BundleSpec& spec) const {
  ClusterFacts facts;
  const auto missing = [](const std::string& kind, const std::string& ns, const std::string& name,
                          const std::string& fix) {
    return absl::StrCat(kind, " \"", name, "\" not found in namespace \"", ns, "\": ", fix);
  };
  const kube::ObjectPtr target = namespaces_->store().Get(spec.target_namespace);
  if (target != nullptr) {
    const nlohmann::json annotations = (*target)["metadata"].value("annotations", nlohmann::json::object());
    for (const auto& [name, value] : annotations.items()) {
      if (value.is_string()) facts.target_namespace_annotations[name] = value.get<std::string>();
    }
  }
  if (target == nullptr) {
    facts.missing_reference =
        absl::StrCat("target Namespace \"", spec.target_namespace,
                     "\" not found: create it or fix spec.converge.targetNamespace");
    return facts;
  }
  if (service_accounts_->store().Get(kube::ObjectKey(spec.target_namespace, spec.service_account)) ==
      nullptr) {
    facts.missing_reference = missing("ServiceAccount", spec.target_namespace, spec.service_account,
                                      "create it (with rights to deploy the release) or fix "
                                      "spec.converge.serviceAccountName");
    return facts;
  }
  // The registry Secrets: their versions (the poller re-reads on a change) and a keyed
  // hash of what they hold (bundles with equal content share one poll).
  std::vector<std::string> versions;
  std::vector<std::string> contents;
  const struct {
    const std::string& name;
    const char* role;  // "" for the credentials (versions keep their old spelling)
    const char* fix;
  } registry_secrets[] = {
      {spec.secret_name, "", "create the registry credentials Secret or fix spec.registry.secretRef"},
      {spec.ca_secret_name, "ca:", "create the CA Secret (key ca.crt) or fix spec.registry.caSecretRef"},
  };
  for (const auto& wanted : registry_secrets) {
    if (wanted.name.empty()) continue;
    const kube::ObjectPtr secret = secrets_->store().Get(kube::ObjectKey(spec.ns, wanted.name));
    if (secret == nullptr) {
      facts.missing_reference = missing("Secret", spec.ns, wanted.name, wanted.fix);
      return facts;
    }
    versions.push_back(absl::StrCat(wanted.role, (*secret)["metadata"].value("resourceVersion", "")));
    contents.push_back(absl::StrCat(wanted.role[0] == '\0' ? "credentials" : "ca", ";", secret->value("type", ""), ";",
                                    secret->value("hashes", Json::object()).dump()));
  }
  facts.registry_secrets_version = absl::StrJoin(versions, ",");
  if (!contents.empty()) {
    const std::string joined = absl::StrJoin(contents, "\n");
    facts.registry_access_identity = values_key_.empty() ? common::ShortHash(joined)
                                                         : common::HmacSha256Hex(values_key_, joined).substr(0, 16);
  }
  std::vector<std::string> parts;
  for (const ValuesSourceSpec& source : spec.values_from) {
    const kube::Informer& informer = source.is_secret ? *secrets_ : *config_maps_;
    const kube::ObjectPtr object = informer.store().Get(kube::ObjectKey(spec.ns, source.name));
    if (object == nullptr) {
      if (source.optional) {
        parts.push_back("absent");
        continue;
      }
      facts.missing_reference = missing(source.is_secret ? "Secret" : "ConfigMap", spec.ns, source.name,
                                        "create it, mark the valuesFrom entry optional, or remove it");
      return facts;
    }
    const std::string key = source.key.empty() ? "values.yaml" : source.key;
    const Json& hashes = (*object)["hashes"];
    parts.push_back(hashes.contains(key) ? hashes[key].get<std::string>() : "no-key");
  }
  const std::string joined = absl::StrJoin(parts, ",");
  facts.values_hash = values_key_.empty() ? common::ShortHash(joined)
                                          : common::HmacSha256Hex(values_key_, joined).substr(0, 16);
  return facts;
}

}  // namespace werf::controller
