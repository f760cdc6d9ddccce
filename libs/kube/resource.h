// Which API resource a request is about, and the URL path for it.
#ifndef WERF_OPERATOR_LIBS_KUBE_RESOURCE_H_
#define WERF_OPERATOR_LIBS_KUBE_RESOURCE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace werf::kube {

struct Resource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "configmaps"
  bool namespaced = true;

  // "/api/v1/namespaces/ns/configmaps/name/status". Empty namespace on a namespaced
  // resource means all namespaces (lists and watches); empty name means the collection.
  std::string Path(absl::string_view ns = "", absl::string_view name = "",
                   absl::string_view subresource = "") const;
  // "configmaps" or "jobs.batch", for messages.
  std::string DisplayName() const;
};

namespace resources {
inline const Resource kNamespaces{"", "v1", "namespaces", false};
inline const Resource kConfigMaps{"", "v1", "configmaps"};
inline const Resource kSecrets{"", "v1", "secrets"};
inline const Resource kServiceAccounts{"", "v1", "serviceaccounts"};
inline const Resource kPods{"", "v1", "pods"};
inline const Resource kEvents{"", "v1", "events"};
inline const Resource kJobs{"batch", "v1", "jobs"};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases"};
inline const Resource kCustomResourceDefinitions{"apiextensions.k8s.io", "v1",
                                                 "customresourcedefinitions", false};
inline const Resource kWerfBundles{"werf.io", "v1alpha1", "werfbundles"};
}  // namespace resources

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_RESOURCE_H_
