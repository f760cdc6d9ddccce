// Per-registry "do not call before" times. When a registry answers 429 (or 503)
// with Retry-After, every caller sharing the client is told to wait instead of
// sending more requests that would only prolong the limit.
#ifndef WERF_OPERATOR_LIBS_OCI_REGISTRY_THROTTLE_H_
#define WERF_OPERATOR_LIBS_OCI_REGISTRY_THROTTLE_H_

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace werf::oci {

class RegistryThrottle {
 public:
  explicit RegistryThrottle(common::Clock& clock) : clock_(clock) {}

  RegistryThrottle(const RegistryThrottle&) = delete;
  RegistryThrottle& operator=(const RegistryThrottle&) = delete;

  // When `registry` may be called again, if that is still in the future.
  std::optional<absl::Time> NotBefore(absl::string_view registry) const ABSL_LOCKS_EXCLUDED(mu_);

  // Records that `registry` asked for no calls before `until`; the later of
  // two overlapping waits wins. Returns true when this made the wait longer (so
  // callers pass news on once, not on every echo of it).
  bool Defer(absl::string_view registry, absl::Time until) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  common::Clock& clock_;
  mutable absl::Mutex mu_;
  // One entry per registry ever throttled, so bounded by the registries in use.
  absl::flat_hash_map<std::string, absl::Time> not_before_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_REGISTRY_THROTTLE_H_
