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
#include "libs/kube/secret_reader.h"
#include "nlohmann/json.hpp"
#include "services/converger/job_builder.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

// Every source in order. A missing object or key is skipped when the source is
// optional and FailedPrecondition otherwise; messages name the object, the namespace
// and the fix, for the bundle's status. Nothing read is ever logged.
absl::StatusOr<JobInputs> ReadJobInputs(kube::RestClient& client, const pb::ConvergeRequest& request);

// --- pure parts, exposed for tests -------------------------------------------------

// The content under `key` (empty: values.yaml) of an object's decoded data: a Secret's
// (kube::DecodeSecret) or a ConfigMap's (ConfigMapData). NotFound when the key is absent.
absl::StatusOr<std::string> ValuesFromData(const kube::DecodedData& data, absl::string_view key);

// A ConfigMap's `data` and `binaryData` as one map, binaryData decoded by the rule a
// Secret's data is (kube::DecodeBytesField). InvalidArgument naming the key when a
// binaryData value is not base64.
absl::StatusOr<kube::DecodedData> ConfigMapData(const nlohmann::json& config_map);

// A docker config.json from a credentials Secret (oci::DockerConfigJsonFromSecret on its
// decoded data): kubernetes.io/dockerconfigjson as is, kubernetes.io/dockercfg wrapped
// in "auths", and username/password (basic-auth) as an "auth" entry for the
// repository's registry.
absl::StatusOr<std::string> DockerConfigFromSecret(const kube::SecretContent& secret,
                                                   absl::string_view repository);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_JOB_INPUTS_H_
