// The tenancy flags, defined once for the two binaries that enforce the rules (the
// controller, and the converger again before it creates a Job), so both read the
// same names, defaults and help.
#ifndef WERF_OPERATOR_LIBS_API_TENANCY_FLAGS_H_
#define WERF_OPERATOR_LIBS_API_TENANCY_FLAGS_H_

#include <string>

#include "libs/api/tenancy.h"

namespace werf::api {

// Where the operator runs when it cannot tell (outside a cluster, with a kubeconfig).
inline constexpr char kDefaultOperatorNamespace[] = "werf-operator-system";

// The policy from --operator_namespace (default `own_namespace`, the namespace the
// process runs in), --no_cross_namespace_refs and --allowed_images.
TenancyPolicy TenancyPolicyFromFlags(const std::string& own_namespace);

}  // namespace werf::api

#endif  // WERF_OPERATOR_LIBS_API_TENANCY_FLAGS_H_
