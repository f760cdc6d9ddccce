#include "libs/hub/rendezvous.h"

#include "absl/strings/str_cat.h"
#include "libs/common/hashing.h"

namespace werf::hub {

std::optional<std::string> RendezvousOwner(absl::string_view key,
                                           const std::vector<std::string>& members) {
  std::optional<std::string> owner;
  uint64_t best = 0;
  for (const std::string& member : members) {
    const uint64_t weight = common::Hash64(absl::StrCat(member, "\x1f", key));
    if (!owner.has_value() || weight > best || (weight == best && member < *owner)) {
      owner = member;
      best = weight;
    }
  }
  return owner;
}

}  // namespace werf::hub
