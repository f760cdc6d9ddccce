// Keeping mounted secrets out of what a Job reports. werf prints what it is given (a
// failed render quotes values, a verbose pull may echo a token), and log tails travel
// into status and Events, which the aggregated `view` role can read. So before a Job's
// observation leaves the converger, every value the converger mounted from a Secret is
// replaced, in its plain and base64 forms, by "[redacted]".
//
// Which per-Job Secret keys came from a Kubernetes Secret is recorded (as key names
// only) in the per-Job Secret's annotation werf.io/secret-keys, so the monitor can
// redact even after a restart, from the per-Job Secret alone.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_REDACTION_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_REDACTION_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger {

inline constexpr char kSecretKeysAnnotation[] = "werf.io/secret-keys";
inline constexpr char kRedacted[] = "[redacted]";

// The strings to redact for one secret file: the whole content, and for YAML or JSON
// every scalar leaf of at least kMinSecretLength characters (shorter ones, "true" or
// "3", would blank out half a log while protecting nothing); for a docker config, the
// decoded user:password of each `auth` as well. Each with its base64 form.
inline constexpr size_t kMinSecretLength = 6;
std::vector<std::string> SecretStrings(absl::string_view file_content);

// The strings to redact for a per-Job Secret object (JSON as the API serves it).
std::vector<std::string> SecretStringsOfJobSecret(const nlohmann::json& job_secret);

// `text` with every occurrence of every secret replaced (longest first, so a value that
// contains another is removed whole), also where nelm's soft wrap of long log lines
// (" \u21b5" and a line break, anywhere in the value or in place of one of its spaces) cut it.
std::string Redact(std::string text, const std::vector<std::string>& secrets);

// Redacts the observation's free text: log tail, message, deploy report.
void RedactObservation(::werf::operator_::v1::JobObservation& observation,
                       const std::vector<std::string>& secrets);

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_REDACTION_H_
