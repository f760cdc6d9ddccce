// Adding context to an error on its way up without losing what it carries. Errors
// are classified by their payloads, not their messages: the Kubernetes client keeps
// the HTTP code and metav1.Status reason there (kube::IsApiForbidden, IsApiNotFound,
// RetryAfter), the registry client its ErrorDetails (oci::GetErrorDetails). A status
// rebuilt as absl::Status(s.code(), StrCat(context, ": ", s.message())) drops them,
// and a caller further up then no longer recognises a 403 or a rate limit.
//
//   absl::StatusOr<json> secret = client.Get(kube::resources::kSecrets, ns, name);
//   if (!secret.ok()) return common::WithContext(secret.status(), absl::StrCat("reading Secret ", ns, "/", name));
#ifndef WERF_OPERATOR_LIBS_COMMON_STATUS_CONTEXT_H_
#define WERF_OPERATOR_LIBS_COMMON_STATUS_CONTEXT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace werf::common {

// `status` with the message "<context>: <message>", the same code and every payload
// copied. An OK status is returned as it is.
absl::Status WithContext(const absl::Status& status, absl::string_view context);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_STATUS_CONTEXT_H_
