// Checks a PEM CA bundle before it is handed to TLS, so a malformed Secret is
// reported as such instead of as an opaque handshake failure.
#ifndef WERF_OPERATOR_LIBS_OCI_CA_BUNDLE_H_
#define WERF_OPERATOR_LIBS_OCI_CA_BUNDLE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace werf::oci {

// OK when `pem` holds at least one certificate and nothing unparseable.
absl::Status ValidateCaBundle(absl::string_view pem);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_CA_BUNDLE_H_
