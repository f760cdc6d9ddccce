// Authenticating webhook deliveries. Two schemes exist among the sources:
//   - an HMAC-SHA256 of the body under a shared secret, hex in
//     `X-Hub-Signature-256: sha256=<hex>` (GitHub, and the generic endpoint);
//   - a shared token the sender presents verbatim (distribution's configured
//     Authorization header, Harbor's "Auth Header", GitLab's X-Gitlab-Token, and the
//     secret path token of Docker Hub and Quay, which can neither sign nor add
//     headers).
//
// The rule that an empty secret never authenticates lives here, in
// VerifyHubSignature256 and VerifySharedToken, so that a Secret with a missing or
// empty key fails closed whatever the receiver does. ConstantTimeEquals is only a
// comparison: ConstantTimeEquals("", "") is true, so never use it to check a token.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_SIGNATURE_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_SIGNATURE_H_

#include <string>
#include <string_view>

namespace werf::webhook {

// Lower-case hex of HMAC-SHA256(secret, body).
std::string HmacSha256Hex(std::string_view secret, std::string_view body);

// True when `header` is `sha256=<64 hex digits>` (prefix and hex in either case) and the digits
// are HMAC-SHA256(secret, body). False for an empty secret and a malformed header.
// The comparison takes the same time wherever the digits differ.
bool VerifyHubSignature256(std::string_view secret, std::string_view body, std::string_view header);

// True when `presented` equals `secret` and `secret` is not empty. Constant time in
// the content; the length of the secret is not hidden.
bool VerifySharedToken(std::string_view secret, std::string_view presented);

// a == b, reading every byte when the lengths match (OpenSSL's CRYPTO_memcmp);
// false at once, without reading content, when they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_SIGNATURE_H_
