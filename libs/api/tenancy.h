// The tenancy model: what a WerfBundle may deploy, where, as whom and with which image.
// One pure implementation, enforced by the controller (a violation stalls the bundle)
// and again by the converger before it creates a Job (defence in depth: a request
// that reached it without the controller's check is refused).
//
//   - A bundle deploys into its own namespace, as a ServiceAccount of that namespace,
//     with values and registry credentials of that namespace (the spec names only
//     objects; their namespace is always the bundle's).
//   - Bundles in the operator's own namespace (administrators') may target any namespace.
//   - Any other crossing needs a grant that lives with the target: the target Namespace's
//     annotation werf.io/accept-bundles-from lists "<bundle namespace>/<ServiceAccount>"
//     entries ("<namespace>/*" for any ServiceAccount), comma-separated, the way Gateway
//     API's ReferenceGrant is owned by the side that gives something up.
//   - With no_cross_namespace_refs, grants are ignored (as Flux's --no-cross-namespace-refs).
//   - The Job's image is the operator's werf image unless spec.converge.image matches the
//     allow-list (exact, or a prefix ending in "*").
#ifndef WERF_OPERATOR_LIBS_API_TENANCY_H_
#define WERF_OPERATOR_LIBS_API_TENANCY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace werf::api {

inline constexpr char kAcceptBundlesFromAnnotation[] = "werf.io/accept-bundles-from";

struct TenancyPolicy {
  // Bundles of this namespace may target any namespace ("" means none may).
  std::string operator_namespace{};
  bool no_cross_namespace_refs = false;
  // Images spec.converge.image may name; an empty spec.converge.image (the operator's
  // werf image) is always allowed.
  std::vector<std::string> allowed_images{};
};

// PermissionDenied, naming the field, the namespaces and the grant that would allow it,
// when a bundle of `bundle_namespace` may not deploy into `target_namespace` as
// `service_account`. `target_annotations` are the target Namespace's annotations.
absl::Status CheckTarget(const TenancyPolicy& policy, absl::string_view bundle_namespace,
                         absl::string_view target_namespace, absl::string_view service_account,
                         const std::map<std::string, std::string>& target_annotations);

// PermissionDenied when `image` (spec.converge.image; "" for the default) is not allowed.
absl::Status CheckImage(const TenancyPolicy& policy, absl::string_view image);

// Parses "a, b,c" (the allow-list flag's form).
std::vector<std::string> SplitList(absl::string_view list);

}  // namespace werf::api

#endif  // WERF_OPERATOR_LIBS_API_TENANCY_H_
