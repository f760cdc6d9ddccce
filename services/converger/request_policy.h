// The converger's own check of a ConvergeRequest against the tenancy model
// (libs/api/tenancy.h), before it reads any Secret or creates any Job. The controller
// checks the same rules first; this is defence in depth, so that nothing but these
// rules stands between a request on the hub stream and another namespace's Secrets
// or ServiceAccounts.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_REQUEST_POLICY_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_REQUEST_POLICY_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "libs/api/tenancy.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

// PermissionDenied, naming the object and the rule, when the request names a Secret or
// ConfigMap outside the bundle's namespace, targets a namespace the bundle may not
// deploy into as that ServiceAccount, or asks for an image that is not allowed.
// `target_annotations` are the target Namespace's annotations.
absl::Status CheckRequestPolicy(const api::TenancyPolicy& policy,
                                const ::werf::operator_::v1::ConvergeRequest& request,
                                const std::map<std::string, std::string>& target_annotations);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_REQUEST_POLICY_H_
