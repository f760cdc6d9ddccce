#include "services/gateway/token_expiry.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace werf::gateway {

std::optional<absl::Time> UnverifiedJwtExpiry(absl::string_view token) {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[1].empty()) return std::nullopt;
  std::string payload;
  // JWTs use unpadded base64url; absl accepts it with or without padding.
  if (!absl::WebSafeBase64Unescape(parts[1], &payload)) return std::nullopt;
  const nlohmann::json claims = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return std::nullopt;
  const auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number()) return std::nullopt;
  const double seconds = exp->get<double>();
  // Beyond absl::Time's range a token may as well not expire.
  if (!std::isfinite(seconds) || seconds > 1e15 || seconds < -1e15) return std::nullopt;
  return absl::FromUnixSeconds(static_cast<int64_t>(std::floor(seconds)));
}

}  // namespace werf::gateway
