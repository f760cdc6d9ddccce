#include "services/gateway/page_token.h"

#include <cstdint>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace werf::gateway {
namespace {

constexpr absl::string_view kVersion = "p1";

// Namespace and name are DNS names, so "/" cannot occur inside them.
constexpr char kSeparator = '/';

}  // namespace

std::string QueryFingerprint(absl::string_view filters) {
  // FNV-1a: stable across processes and builds, unlike absl::Hash. Not a security
  // measure: it only detects accidental reuse of a token with other filters.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : filters) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", hash);
}

std::string EncodePageToken(const BundleKey& last_on_page, absl::string_view query_fingerprint) {
  return absl::WebSafeBase64Escape(absl::StrCat(kVersion, std::string(1, kSeparator),
                                                query_fingerprint, std::string(1, kSeparator),
                                                last_on_page.ns, std::string(1, kSeparator),
                                                last_on_page.name));
}

absl::StatusOr<BundleKey> DecodePageToken(absl::string_view token,
                                          absl::string_view query_fingerprint) {
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(token, &decoded)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token \"", token, "\" is not a token this gateway issued; pass next_page_token "
        "from the previous response unchanged, or omit it for the first page"));
  }
  const std::vector<std::string> parts = absl::StrSplit(decoded, kSeparator);
  if (parts.size() != 4 || parts[0] != kVersion || parts[2].empty() || parts[3].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token \"", token, "\" is not a token this gateway issued; pass next_page_token "
        "from the previous response unchanged, or omit it for the first page"));
  }
  if (parts[1] != query_fingerprint) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token \"", token, "\" belongs to a list with other filters; keep namespace, "
        "phase and label_selector the same while paging, or start again without a token"));
  }
  return BundleKey{parts[2], parts[3]};
}

}  // namespace werf::gateway
