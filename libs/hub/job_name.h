// The deterministic name of a werf Job. The controller computes it when it builds a
// ConvergeRequest (ConvergeRequest.job_name) and the converger falls back to it when
// the field is empty, so both sides must agree: this is the one implementation (it
// gives exactly the names of services/controller/job_naming.cc, which it can replace).
//
// Determinism is what makes Job creation idempotent: a request re-sent after a
// controller or converger restart names the same Job, the API answers AlreadyExists,
// and the converger adopts the existing Job instead of running werf twice.
#ifndef WERF_OPERATOR_LIBS_HUB_JOB_NAME_H_
#define WERF_OPERATOR_LIBS_HUB_JOB_NAME_H_

#include <cstdint>
#include <string>

#include "werf/operator/v1/hub.pb.h"

namespace werf::hub {

// Everything that makes one Job different from another. Every field has a default
// member initializer, so designated initializers may name only what they set.
struct JobNameInputs {
  std::string bundle_namespace{};
  std::string bundle_name{};
  // Distinguishes a re-created bundle of the same name from its predecessor, whose
  // finished Jobs may still exist (ttlSecondsAfterFinished is days).
  std::string bundle_uid{};
  std::string tag{};
  std::string digest{};
  // ConvergeRequest.config_hash: spec generation, values hash, tag, digest.
  std::string config_hash{};
  werf::operator_::v1::JobKind kind = werf::operator_::v1::JOB_KIND_APPLY;
  // Tells apart runs whose other inputs are equal. Apply: consecutive failures before
  // this Job, so a retry after a failure gets a fresh Job instead of adopting the
  // failed one. Drift check: the check's time bucket, so each check is a new Job
  // (otherwise the second check would adopt the first, finished one and report its
  // old result) while a re-sent request of the same check is not.
  int64_t attempt = 0;
};

// "<bundle name, DNS-label safe, at most 48 characters>-<a|d>-<10 hex digits>", at
// most 63 characters, a valid DNS label (so a valid Job name and `job-name` label
// value). `a` is apply, `d` drift check; the hex digits start the SHA-256 of every
// field of `inputs` joined by U+001F, so any change of input changes the name and
// equal inputs always give the same name.
std::string JobName(const JobNameInputs& inputs);

// JobName of the request's bundle, tag, digest, config hash and kind.
std::string JobNameForRequest(const werf::operator_::v1::ConvergeRequest& request, int64_t attempt = 0);

}  // namespace werf::hub

#endif  // WERF_OPERATOR_LIBS_HUB_JOB_NAME_H_
