// Rendezvous (highest-random-weight) hashing: each key goes to the member whose
// hash of (member, key) is highest. Adding a member moves only the keys it now
// wins; removing one moves only the keys it had. Every replica computes the same.
#ifndef WERF_OPERATOR_LIBS_HUB_RENDEZVOUS_H_
#define WERF_OPERATOR_LIBS_HUB_RENDEZVOUS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace werf::hub {

// The member that owns `key`, or nullopt when there are no members.
std::optional<std::string> RendezvousOwner(absl::string_view key,
                                           const std::vector<std::string>& members);

}  // namespace werf::hub

#endif  // WERF_OPERATOR_LIBS_HUB_RENDEZVOUS_H_
