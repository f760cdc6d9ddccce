// When a bearer token says it stops being valid. ServiceAccount tokens (TokenRequest)
// and OIDC ID tokens are JWTs with an `exp` claim; other tokens (static, webhook) have
// nothing to read, and only the API server knows.
//
// The claim is read without checking the signature. That is safe because the time is
// only ever used to stop accepting a token sooner, never to accept one: the token is
// still reviewed by the API server (TokenReview). It matters for open watches, which
// would otherwise outlive their token by up to a re-check interval, and by the minute
// of clock-skew leeway the API server allows past `exp`.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_TOKEN_EXPIRY_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_TOKEN_EXPIRY_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace werf::gateway {

// The `exp` of a JWT (`header.payload.signature`, base64url, payload a JSON object
// with a numeric `exp` in seconds since the epoch); nullopt for anything else.
std::optional<absl::Time> UnverifiedJwtExpiry(absl::string_view token);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_TOKEN_EXPIRY_H_
