// libFuzzer target: ParseLinkHeader and FindNextLink on arbitrary bytes, and
// the resolution of every target against a registry URL, as the client does.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "libs/oci/link_header.h"
#include "libs/oci/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view header(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<werf::oci::LinkValue>> links = werf::oci::ParseLinkHeader(header);
  absl::StatusOr<std::optional<std::string>> next = werf::oci::FindNextLink(header);
  if (links.ok() != next.ok()) __builtin_trap();
  if (!links.ok()) return 0;
  for (const werf::oci::LinkValue& link : *links) {
    for (char c : link.target) {
      if (c == '<' || c == '>' || static_cast<unsigned char>(c) <= ' ') __builtin_trap();
    }
    absl::StatusOr<std::string> resolved =
        werf::oci::ResolveUrl("https://registry.example.com:5000/v2/team/app/tags/list?n=100", link.target);
    if (resolved.ok()) {
      if (!absl::StartsWith(*resolved, "http://") && !absl::StartsWith(*resolved, "https://")) __builtin_trap();
      if (!werf::oci::ParseUrl(*resolved).ok()) __builtin_trap();
    }
  }
  if (next->has_value()) {
    bool found = false;
    for (const werf::oci::LinkValue& link : *links) found = found || (link.HasRel("next") && link.target == **next);
    if (!found) __builtin_trap();
  }
  return 0;
}
