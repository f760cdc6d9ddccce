// WerfBundle custom resources (JSON, as the API server serves them; schema in
// deploy/kustomize/base/crd-werfbundles.yaml) to the gateway's Bundle message.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_CONVERT_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_CONVERT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "werf/operator/v1/bundle.pb.h"

namespace werf::gateway {

namespace pb = ::werf::operator_::v1;

struct ConvertedBundle {
  pb::Bundle bundle;
  // Fields that were present but unreadable and were left unset, each naming the
  // field and the value, e.g. `status.lastSyncTime: "yesterday" is not an RFC 3339 time`.
  // A bundle with problems is still served: a dashboard showing most of a bundle beats
  // one that hides it.
  std::vector<std::string> problems;
};

// InvalidArgument only when the object cannot be a WerfBundle at all (not a JSON
// object, or no metadata.namespace / metadata.name). Spec defaults that the CRD
// leaves to the operator are applied (targetNamespace: the bundle's namespace;
// release: its name), so the view shows what is actually used.
absl::StatusOr<ConvertedBundle> BundleFromObject(const nlohmann::json& object);

// "Syncing", "Synced", "Failed"; "" is UNSPECIFIED (not reconciled yet). Anything else
// is UNSPECIFIED too; callers that care can compare against "".
pb::BundlePhase PhaseFromStatus(absl::string_view phase);
// "Succeeded", "Failed", "Vanished"; anything else is UNSPECIFIED.
pb::ConvergeResult ConvergeResultFromStatus(absl::string_view result);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_CONVERT_H_
