// The converger's own flags (the common ones are in libs/common/flags.h and
// worker_flags.h, tenancy in libs/api/tenancy_flags.h), read once and validated. Each
// may also be set as WERF_<FLAG_NAME>, e.g. WERF_CAPACITY=20.
//
// Defined in their own library (werf_converger_flags): absl flags are process-wide and
// only the binary and this reader's test link them.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_FLAGS_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_FLAGS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/converger/job_builder.h"

ABSL_DECLARE_FLAG(std::string, werf_image);
ABSL_DECLARE_FLAG(std::string, job_env);
ABSL_DECLARE_FLAG(std::string, watch_namespace);
ABSL_DECLARE_FLAG(uint32_t, capacity);
ABSL_DECLARE_FLAG(int, concurrent_requests);
ABSL_DECLARE_FLAG(int64_t, job_deadline_factor);
ABSL_DECLARE_FLAG(absl::Duration, job_deadline_margin);
ABSL_DECLARE_FLAG(absl::Duration, drift_check_ttl);
ABSL_DECLARE_FLAG(int32_t, drift_checks_kept);
ABSL_DECLARE_FLAG(int64_t, ttl_seconds_override);

namespace werf::converger {

struct ConvergerFlags {
  std::string werf_image{kDefaultWerfImage};
  std::vector<std::pair<std::string, std::string>> job_env{};  // --job_env, parsed
  std::string watch_namespace{};
  uint32_t capacity = 0;
  int concurrent_requests = 4;
  int64_t job_deadline_factor = 6;
  absl::Duration job_deadline_margin = absl::Minutes(5);
  absl::Duration drift_check_ttl = absl::Hours(1);
  int32_t drift_checks_kept = 3;
  int64_t ttl_seconds_override = 0;
};

// InvalidArgument naming the flag when a value is malformed or out of range.
absl::StatusOr<ConvergerFlags> ReadConvergerFlags();

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_FLAGS_H_
