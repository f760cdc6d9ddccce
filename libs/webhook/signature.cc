#include "libs/webhook/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace werf::webhook {
namespace {

constexpr std::string_view kPrefix = "sha256=";
constexpr size_t kHexDigits = 64;

}  // namespace

std::string HmacSha256Hex(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // HMAC() wants a non-null key even when it is empty.
  static const unsigned char kEmpty = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
  const unsigned char* data =
      body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, body.size(), digest, &length) == nullptr) {
    return std::string();
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

bool VerifyHubSignature256(std::string_view secret, std::string_view body, std::string_view header) {
  if (secret.empty()) return false;
  if (header.size() != kPrefix.size() + kHexDigits) return false;
  const absl::string_view prefix(header.data(), kPrefix.size());
  if (!absl::EqualsIgnoreCase(prefix, absl::string_view(kPrefix.data(), kPrefix.size()))) return false;
  std::string presented(header.substr(kPrefix.size()));
  for (char& c : presented) {
    if (!absl::ascii_isxdigit(c)) return false;
    c = absl::ascii_tolower(c);
  }
  const std::string expected = HmacSha256Hex(secret, body);
  if (expected.size() != kHexDigits) return false;
  return ConstantTimeEquals(expected, presented);
}

bool VerifySharedToken(std::string_view secret, std::string_view presented) {
  if (secret.empty()) return false;
  return ConstantTimeEquals(secret, presented);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace werf::webhook
