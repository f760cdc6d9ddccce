#include "libs/api/tenancy_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, operator_namespace, "",
          "bundles in this namespace may deploy into any namespace (default: the in-cluster namespace, else "
          "werf-operator-system); the same on the controller and the converger");
ABSL_FLAG(bool, no_cross_namespace_refs, false,
          "ignore werf.io/accept-bundles-from grants: only the operator namespace's bundles cross namespaces");
ABSL_FLAG(std::string, allowed_images, "",
          "comma-separated images spec.converge.image may name (exact, or a prefix ending in *); empty: none, "
          "only the converger's --werf_image");

namespace werf::api {

TenancyPolicy TenancyPolicyFromFlags(const std::string& own_namespace) {
  const std::string configured = absl::GetFlag(FLAGS_operator_namespace);
  return TenancyPolicy{.operator_namespace = configured.empty() ? own_namespace : configured,
                       .no_cross_namespace_refs = absl::GetFlag(FLAGS_no_cross_namespace_refs),
                       .allowed_images = SplitList(absl::GetFlag(FLAGS_allowed_images))};
}

}  // namespace werf::api
