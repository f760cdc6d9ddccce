// Turns registry answers that are not what an operation needed into statuses
// whose messages say what failed and what the user can do about it.
#ifndef WERF_OPERATOR_LIBS_OCI_REGISTRY_ERRORS_H_
#define WERF_OPERATOR_LIBS_OCI_REGISTRY_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/http/http_message.h"
#include "libs/oci/reference.h"

namespace werf::oci {

struct ErrorContext {
  const RepositoryRef* repository = nullptr;
  std::string tag{};  // for manifest requests
  bool sent_credentials = false;
};

// "CODE: message; CODE: message" from a distribution error body
// ({"errors": [{"code", "message"}]}), sanitized and shortened; "" when none.
std::string RegistryErrorSummary(absl::string_view body);

// The status for a response whose HTTP status is not a success.
absl::Status ErrorFromResponse(const ErrorContext& context, const http::HttpResponse& response);

// The status for a transport error (no response): TLS failures get advice on
// registry.caSecretRef / registry.insecure; others keep their message.
absl::Status ErrorFromTransport(const ErrorContext& context, const absl::Status& error, bool custom_ca);

// Advice shared by every credentials problem.
std::string CheckCredentialsAdvice(absl::string_view registry);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_REGISTRY_ERRORS_H_
