// Reads what a werf Job needs from the bundle's namespace: the valuesFrom ConfigMaps
// and Secrets, the registry credentials Secret and the registry CA Secret. Their
// content goes into the per-Job Secret in the target namespace (job_builder.h), which
// is how sources in the bundle's namespace reach a Job that runs elsewhere.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_JOB_INPUTS_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_JOB_INPUTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"
#include "services/converger/job_builder.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

// Every source in order. A missing object or key is skipped when the source is
// optional and FailedPrecondition otherwise; messages name the object, the namespace
// and the fix, for the bundle's status. Nothing read is ever logged.
absl::StatusOr<JobInputs> ReadJobInputs(kube::RestClient& client, const pb::ConvergeRequest& request);

// --- pure parts, exposed for tests -------------------------------------------------

// The content under `key` (empty: values.yaml) of a ConfigMap (data or binaryData) or
// Secret (data, base64) object. NotFound when the key is absent.
absl::StatusOr<std::string> ValuesFromObject(pb::ValuesSourceKind kind, const nlohmann::json& object,
                                             absl::string_view key);

// A docker config.json from a credentials Secret object (oci::DockerConfigJsonFromSecret
// on its decoded data): kubernetes.io/dockerconfigjson as is, kubernetes.io/dockercfg
// wrapped in "auths", and username/password (basic-auth) as an "auth" entry for the
// repository's registry.
absl::StatusOr<std::string> DockerConfigFromSecret(const nlohmann::json& secret,
                                                   absl::string_view repository);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_JOB_INPUTS_H_
