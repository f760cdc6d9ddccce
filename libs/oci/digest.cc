#include "libs/oci/digest.h"

#include <openssl/evp.h>

#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace werf::oci {
namespace {

bool IsLowerHex(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); }

// algorithm-component ::= [a-z0-9]+ separated by one of [+._-].
bool IsValidAlgorithm(absl::string_view algorithm) {
  if (algorithm.empty()) return false;
  bool previous_was_separator = true;
  for (char c : algorithm) {
    const bool separator = c == '+' || c == '.' || c == '_' || c == '-';
    if (separator) {
      if (previous_was_separator) return false;
    } else if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c)) {
      return false;
    }
    previous_was_separator = separator;
  }
  return !previous_was_separator;
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // EVP_Digest cannot fail for SHA-256 on in-memory data short of allocation
  // failure, which aborts elsewhere anyway.
  EVP_Digest(data.data(), data.size(), hash, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(hash), length));
}

std::string Sha256Digest(absl::string_view data) { return absl::StrCat("sha256:", Sha256Hex(data)); }

absl::Status ValidateDigest(absl::string_view digest) {
  const size_t colon = digest.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("digest \"", absl::CHexEscape(digest.substr(0, 100)),
                                                   "\" is not algorithm:hex"));
  }
  const absl::string_view algorithm = digest.substr(0, colon);
  const absl::string_view encoded = digest.substr(colon + 1);
  bool valid = IsValidAlgorithm(algorithm) && !encoded.empty();
  for (char c : encoded) {
    valid = valid && (absl::ascii_isalnum(c) || c == '=' || c == '_' || c == '-');
  }
  size_t hex_length = 0;
  if (algorithm == "sha256") hex_length = 64;
  if (algorithm == "sha512") hex_length = 128;
  if (valid && hex_length != 0) {
    valid = encoded.size() == hex_length;
    for (char c : encoded) valid = valid && IsLowerHex(c);
  }
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("digest \"", absl::CHexEscape(digest.substr(0, 200)), "\" is malformed"));
  }
  return absl::OkStatus();
}

}  // namespace werf::oci
