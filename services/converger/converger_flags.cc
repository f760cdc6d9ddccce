#include "services/converger/converger_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"

ABSL_FLAG(std::string, werf_image, werf::converger::kDefaultWerfImage,
          "werf image of the Jobs; a bundle's spec.converge.image overrides it");
ABSL_FLAG(std::string, job_env, "",
          "Comma-separated KEY=VALUE environment for every werf container, e.g. "
          "WERF_BUILDAH_MODE=auto. Not for secrets: it is visible in the Pod spec. A bundle's "
          "env overrides it per name");
ABSL_FLAG(std::string, watch_namespace, "",
          "Only run and watch werf Jobs in this namespace; empty: all namespaces");
ABSL_FLAG(uint32_t, capacity, 0,
          "Most werf Jobs this converger runs at once (announced to the hub); 0: no limit");
ABSL_FLAG(int, concurrent_requests, 4,
          "Converge requests handled at once (each a few API round trips); one bundle's "
          "requests are still handled in order, one at a time");
ABSL_FLAG(int64_t, job_deadline_factor, 6,
          "An apply Job's activeDeadlineSeconds is this many times werf's -t plus "
          "--job_deadline_margin: -t bounds each resource's tracking, and a deploy tracks stage "
          "after stage. 0: no deadline for apply Jobs");
ABSL_FLAG(absl::Duration, job_deadline_margin, absl::Minutes(5),
          "Added to the Job's deadline (image pull, start-up, werf's clean-up); a drift check's "
          "deadline is its timeout plus this margin");
ABSL_FLAG(absl::Duration, drift_check_ttl, absl::Hours(1),
          "ttlSecondsAfterFinished of drift-check Jobs (capped by the bundle's logRetentionDays)");
ABSL_FLAG(int32_t, drift_checks_kept, 3,
          "finished drift-check Jobs kept per bundle, the newest; older ones are deleted once their "
          "result was sent (0: keep all until their TTL)");
ABSL_FLAG(int64_t, ttl_seconds_override, 0,
          "FOR TESTS ONLY: when > 0, ttlSecondsAfterFinished of every Job instead of the bundle's "
          "logRetentionDays");

namespace werf::converger {

absl::StatusOr<ConvergerFlags> ReadConvergerFlags() {
  ConvergerFlags flags{
      .werf_image = absl::GetFlag(FLAGS_werf_image),
      .job_env = {},
      .watch_namespace = absl::GetFlag(FLAGS_watch_namespace),
      .capacity = absl::GetFlag(FLAGS_capacity),
      .concurrent_requests = absl::GetFlag(FLAGS_concurrent_requests),
      .job_deadline_factor = absl::GetFlag(FLAGS_job_deadline_factor),
      .job_deadline_margin = absl::GetFlag(FLAGS_job_deadline_margin),
      .drift_check_ttl = absl::GetFlag(FLAGS_drift_check_ttl),
      .drift_checks_kept = absl::GetFlag(FLAGS_drift_checks_kept),
      .ttl_seconds_override = absl::GetFlag(FLAGS_ttl_seconds_override),
  };
  // ParseJobEnv's errors start with "--job_env: ".
  ASSIGN_OR_RETURN(flags.job_env, ParseJobEnv(absl::GetFlag(FLAGS_job_env)));
  if (flags.job_deadline_factor < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--job_deadline_factor must be 0 (no deadline) or more, got ",
                                                   flags.job_deadline_factor));
  }
  return flags;
}

}  // namespace werf::converger
