// Content digests (OCI image spec "digest" grammar) and the SHA-256 the client
// computes when a registry omits Docker-Content-Digest.
#ifndef WERF_OPERATOR_LIBS_OCI_DIGEST_H_
#define WERF_OPERATOR_LIBS_OCI_DIGEST_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace werf::oci {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// "sha256:" + Sha256Hex(data).
std::string Sha256Digest(absl::string_view data);

// OK when `digest` is `algorithm:encoded` per the OCI grammar; sha256 and sha512
// must also have the right number of lowercase hex digits.
absl::Status ValidateDigest(absl::string_view digest);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_DIGEST_H_
