#include "libs/oci/registry_throttle.h"

namespace werf::oci {

std::optional<absl::Time> RegistryThrottle::NotBefore(absl::string_view registry) const {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = not_before_.find(registry);
  if (it == not_before_.end() || it->second <= now) return std::nullopt;
  return it->second;
}

bool RegistryThrottle::Defer(absl::string_view registry, absl::Time until) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = not_before_.try_emplace(registry, until);
  if (inserted) return true;
  if (until <= it->second) return false;
  it->second = until;
  return true;
}

}  // namespace werf::oci
