// Kubernetes API errors as absl::Status. The HTTP code picks the status code; the
// metav1.Status reason (NotFound, AlreadyExists, Conflict, Invalid, Expired, ...)
// and message are kept, the reason as a payload so callers can branch on it the
// way client-go's apierrors.IsApiConflict() does.
#ifndef WERF_OPERATOR_LIBS_KUBE_API_ERROR_H_
#define WERF_OPERATOR_LIBS_KUBE_API_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace werf::kube {

// Builds the status for a non-2xx answer. `what` names the request
// ("GET /api/v1/namespaces/a/configmaps/b") and starts the message.
absl::Status StatusFromApiResponse(long http_code, absl::string_view body, absl::string_view what,
                                   std::optional<absl::Duration> retry_after = std::nullopt);

// The metav1.Status reason kept on `status`, or "" when it carries none.
std::string KubernetesReason(const absl::Status& status);
// The HTTP code kept on `status`, or 0.
int HttpCode(const absl::Status& status);
// Retry-After kept on a 429 (or 5xx) status.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

bool IsApiNotFound(const absl::Status& status);
bool IsApiAlreadyExists(const absl::Status& status);
bool IsApiConflict(const absl::Status& status);
bool IsApiInvalid(const absl::Status& status);
// 410: the resourceVersion is too old (reason Expired or Gone); relist.
bool IsApiGone(const absl::Status& status);
bool IsApiForbidden(const absl::Status& status);
bool IsApiUnauthorized(const absl::Status& status);
bool IsApiTooManyRequests(const absl::Status& status);

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_API_ERROR_H_
