#include "services/gateway/token_expiry.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace werf::gateway {
namespace {

std::string Jwt(const std::string& payload) {
  return absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"RS256"})"), ".",
                      absl::WebSafeBase64Escape(payload), ".c2lnbmF0dXJl");
}

TEST(UnverifiedJwtExpiryTest, ReadsExp) {
  EXPECT_EQ(UnverifiedJwtExpiry(Jwt(R"({"sub":"system:serviceaccount:a:b","exp":1893456000})")),
            absl::FromUnixSeconds(1893456000));
  // Fractional seconds (allowed by RFC 7519's NumericDate) round down: never later.
  EXPECT_EQ(UnverifiedJwtExpiry(Jwt(R"({"exp":1893456000.9})")), absl::FromUnixSeconds(1893456000));
  // Padded base64url as some issuers write it.
  const std::string padded = absl::StrCat("e30.", absl::Base64Escape(R"({"exp":12})"), ".x");
  ASSERT_TRUE(absl::StrContains(padded, "=.")) << padded;
  EXPECT_EQ(UnverifiedJwtExpiry(padded), absl::FromUnixSeconds(12));
}

TEST(UnverifiedJwtExpiryTest, AnythingElseSaysNothing) {
  for (const std::string& token :
       {std::string("opaque-static-token"), std::string("a.b"), std::string("a.b.c.d"),
        std::string("e30..sig"), Jwt("not json"), Jwt("[1,2]"), Jwt(R"({"sub":"x"})"),
        Jwt(R"({"exp":"1893456000"})"), Jwt(R"({"exp":1e300})"), std::string("e30.!!!.sig")}) {
    EXPECT_EQ(UnverifiedJwtExpiry(token), std::nullopt) << token;
  }
}

}  // namespace
}  // namespace werf::gateway
