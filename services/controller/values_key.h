// The per-install key that makes values digests keyed (HMAC-SHA256): status shows a
// configuration hash, and an unkeyed hash of a low-entropy secret ("password: 1234")
// could be matched against guesses by anyone who may read the bundle.
//
// Kept in a Secret of the operator's namespace and created once by the first
// controller that finds none. Deleting it changes every configuration hash, which
// redeploys every bundle once: the README says so.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_VALUES_KEY_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_VALUES_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "libs/kube/rest_client.h"

namespace werf::controller {

inline constexpr char kValuesKeySecret[] = "werf-operator-values-key";

// The key from Secret `namespace`/werf-operator-values-key (key "key"), creating the
// Secret with 32 random bytes when there is none.
absl::StatusOr<std::string> LoadOrCreateValuesKey(kube::RestClient& client, const std::string& ns);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_VALUES_KEY_H_
