#include "services/controller/job_naming.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/hashing.h"

namespace werf::controller {

std::string JobName(const JobIdentity& id) {
  const std::string hash = common::ShortHash(
      absl::StrJoin({id.bundle_namespace, id.bundle_name, id.bundle_uid, id.tag, id.digest,
                     id.config_hash, std::string(id.drift_check ? "drift" : "apply"),
                     absl::StrCat(id.attempt)},
                    "\x1f"),
      10);
  // Bundle names are DNS subdomains (dots allowed); Job names must be labels.
  std::string prefix;
  for (const char c : id.bundle_name.substr(0, 48)) {
    prefix.push_back(absl::ascii_isalnum(c) ? absl::ascii_tolower(c) : '-');
  }
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  while (!prefix.empty() && prefix.front() == '-') prefix.erase(prefix.begin());
  if (prefix.empty()) prefix = "bundle";
  return absl::StrCat(prefix, id.drift_check ? "-d-" : "-a-", hash);
}

}  // namespace werf::controller
