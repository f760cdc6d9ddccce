// Deterministic Job names: the same bundle, tag, digest, configuration, kind and
// attempt always give the same name, so creating a Job is idempotent across
// controller restarts and hub resends, and a retry after a failure (attempt + 1)
// gets a fresh Job instead of adopting the failed one.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_JOB_NAMING_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_JOB_NAMING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace werf::controller {

struct JobIdentity {
  std::string bundle_namespace;
  std::string bundle_name;
  std::string bundle_uid;
  std::string tag;
  std::string digest;
  std::string config_hash;
  bool drift_check = false;
  int attempt = 0;  // consecutive failures before this Job (apply), or the check's time bucket
};

// A DNS-1123 label of at most 63 characters: "<bundle>-<a|d>-<10 hex>".
std::string JobName(const JobIdentity& identity);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_JOB_NAMING_H_
