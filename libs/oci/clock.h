// The time source of the registry client. Token lifetimes, Retry-After waits and
// retry delays all read it, so tests can move time instead of sleeping.
#ifndef WERF_OPERATOR_LIBS_OCI_CLOCK_H_
#define WERF_OPERATOR_LIBS_OCI_CLOCK_H_

#include "absl/time/time.h"

namespace werf::oci {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;
  virtual void SleepFor(absl::Duration duration) const = 0;

  // The wall clock (absl::Now, absl::SleepFor). Never destroyed.
  static const Clock& Real();
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_CLOCK_H_
