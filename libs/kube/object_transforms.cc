#include "libs/kube/object_transforms.h"

namespace werf::kube {

nlohmann::json DropManagedFields(nlohmann::json object) {
  if (object.is_object()) {
    auto metadata = object.find("metadata");
    if (metadata != object.end() && metadata->is_object()) metadata->erase("managedFields");
  }
  return object;
}

nlohmann::json DropApplyBookkeeping(nlohmann::json object) {
  object = DropManagedFields(std::move(object));
  if (!object.is_object()) return object;
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return object;
  auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) return object;
  annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
  if (annotations->empty()) metadata->erase(annotations);
  return object;
}

nlohmann::json IdentityOnly(const nlohmann::json& object) {
  nlohmann::json identity = {{"metadata", nlohmann::json::object()}};
  const auto metadata = object.find("metadata");
  if (!object.is_object() || metadata == object.end() || !metadata->is_object()) return identity;
  for (const char* field : {"namespace", "name", "uid", "resourceVersion"}) {
    if (const auto it = metadata->find(field); it != metadata->end()) identity["metadata"][field] = *it;
  }
  return identity;
}

}  // namespace werf::kube
