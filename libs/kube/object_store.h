// The informer's cache: objects by "namespace/name", with namespace and label
// indexes. Thread-safe; readers get shared immutable snapshots of objects, so a
// reader never blocks the watch for longer than a map lookup.
#ifndef WERF_OPERATOR_LIBS_KUBE_OBJECT_STORE_H_
#define WERF_OPERATOR_LIBS_KUBE_OBJECT_STORE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace werf::kube {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc).
std::string ObjectKey(const nlohmann::json& object);
std::string ObjectKey(absl::string_view ns, absl::string_view name);

class ObjectStore {
 public:
  // Inserts or replaces; returns the previous object (null when new).
  ObjectPtr Upsert(ObjectPtr object);
  // Removes by key; returns the removed object (null when absent).
  ObjectPtr Remove(const std::string& key);
  // Replaces everything (after a relist). Returns the objects that were removed.
  std::vector<ObjectPtr> Replace(std::vector<ObjectPtr> objects);

  ObjectPtr Get(const std::string& key) const;
  std::vector<ObjectPtr> List() const;  // ordered by key
  std::vector<ObjectPtr> ListNamespace(absl::string_view ns) const;
  std::vector<ObjectPtr> ListByLabel(absl::string_view label, absl::string_view value) const;
  size_t Size() const;

 private:
  void IndexLocked(const std::string& key, const nlohmann::json& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnindexLocked(const std::string& key, const nlohmann::json& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, ObjectPtr> objects_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::set<std::string>> by_namespace_ ABSL_GUARDED_BY(mu_);
  // "label=value" -> keys
  absl::flat_hash_map<std::string, std::set<std::string>> by_label_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_OBJECT_STORE_H_
