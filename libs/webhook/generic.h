// The generic webhook, for any sender that can compute GitHub's X-Hub-Signature-256
// (HMAC-SHA256 of the body) and write this documented JSON:
//
//   {"registry": "registry.example.com:5000", "repository": "team/app", "tag": "v1.2.3"}
//   {"events": [{"registry": "...", "repository": "...", "tag": "..."}, ...]}
//
// registry (host[:port], no scheme) and repository are required; tag is optional
// and informational. `docker.io` and its aliases mean Docker Hub.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_GENERIC_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_GENERIC_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseGeneric(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_GENERIC_H_
