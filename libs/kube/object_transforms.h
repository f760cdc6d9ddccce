// Informer transforms (InformerOptions::transform and store_projection): what a cache
// keeps of each object. At thousands of objects, what is dropped here is most of a
// controller's memory.
#ifndef WERF_OPERATOR_LIBS_KUBE_OBJECT_TRANSFORMS_H_
#define WERF_OPERATOR_LIBS_KUBE_OBJECT_TRANSFORMS_H_

#include "nlohmann/json.hpp"

namespace werf::kube {

// Removes metadata.managedFields (server-side apply bookkeeping), which no controller
// reads and which is often most of an object's size. The informers' default.
nlohmann::json DropManagedFields(nlohmann::json object);

// DropManagedFields, and the kubectl.kubernetes.io/last-applied-configuration
// annotation (client-side apply's copy of the whole object as it was applied). Only
// for caches whose objects are never written back whole (status goes to /status,
// metadata changes as patches).
nlohmann::json DropApplyBookkeeping(nlohmann::json object);

// The identity of an object: metadata.namespace, name, uid and resourceVersion.
nlohmann::json IdentityOnly(const nlohmann::json& object);

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_OBJECT_TRANSFORMS_H_
