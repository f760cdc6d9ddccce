// libFuzzer target: ParseWwwAuthenticate on arbitrary bytes. Besides crashes and
// sanitizer reports, traps when a successful parse breaks the parser's promises.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "libs/oci/www_authenticate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view header(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<werf::oci::AuthChallenge>> challenges = werf::oci::ParseWwwAuthenticate(header);
  if (!challenges.ok()) return 0;
  if (challenges->empty()) __builtin_trap();
  for (const werf::oci::AuthChallenge& challenge : *challenges) {
    if (challenge.scheme.empty() || absl::AsciiStrToLower(challenge.scheme) != challenge.scheme) __builtin_trap();
    if (!challenge.token68.empty() && !challenge.params.empty()) __builtin_trap();
    for (const auto& [name, value] : challenge.params) {
      if (name.empty() || absl::AsciiStrToLower(name) != name) __builtin_trap();
      if (challenge.Param(name) != value) __builtin_trap();
    }
    if (werf::oci::FindChallenge(*challenges, challenge.scheme) == nullptr) __builtin_trap();
  }
  return 0;
}
