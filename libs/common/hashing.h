// Content hashes for deterministic names and change detection (SHA-256, OpenSSL).
#ifndef WERF_OPERATOR_LIBS_COMMON_HASHING_H_
#define WERF_OPERATOR_LIBS_COMMON_HASHING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace werf::common {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(absl::string_view data);
// HMAC-SHA256 of `data` under `key`, lower-case hex: a digest that only the key's
// holder can compute, so a published digest of a low-entropy secret cannot be
// matched against guesses.
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);
// The first `hex_chars` characters of Sha256Hex: short, stable identifiers.
std::string ShortHash(absl::string_view data, size_t hex_chars = 16);
// The first 8 bytes of SHA-256 as an integer: a well-mixed 64-bit hash for
// rendezvous hashing, identical on every replica and every run.
uint64_t Hash64(absl::string_view data);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_HASHING_H_
