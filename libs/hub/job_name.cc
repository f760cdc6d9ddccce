#include "libs/hub/job_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/hashing.h"

namespace werf::hub {
namespace {

namespace pb = ::werf::operator_::v1;

constexpr size_t kMaxPrefix = 48;
constexpr size_t kHashDigits = 10;

}  // namespace

std::string JobName(const JobNameInputs& inputs) {
  const bool drift = inputs.kind == pb::JOB_KIND_DRIFT_CHECK;
  // U+001F (unit separator) cannot occur in any field, so no two inputs join alike.
  const std::string hash = common::ShortHash(
      absl::StrJoin({inputs.bundle_namespace, inputs.bundle_name, inputs.bundle_uid, inputs.tag,
                     inputs.digest, inputs.config_hash, std::string(drift ? "drift" : "apply"),
                     absl::StrCat(inputs.attempt)},
                    "\x1f"),
      kHashDigits);
  // Bundle names are DNS subdomains (dots allowed); Job names must be DNS labels.
  std::string prefix;
  for (const char c : absl::string_view(inputs.bundle_name).substr(0, kMaxPrefix)) {
    prefix.push_back(absl::ascii_isalnum(c) ? absl::ascii_tolower(c) : '-');
  }
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  while (!prefix.empty() && prefix.front() == '-') prefix.erase(prefix.begin());
  if (prefix.empty()) prefix = "bundle";
  return absl::StrCat(prefix, drift ? "-d-" : "-a-", hash);
}

std::string JobNameForRequest(const pb::ConvergeRequest& request, int64_t attempt) {
  return JobName({.bundle_namespace = request.bundle().namespace_(),
                  .bundle_name = request.bundle().name(),
                  .bundle_uid = request.bundle().uid(),
                  .tag = request.tag(),
                  .digest = request.digest(),
                  .config_hash = request.config_hash(),
                  .kind = request.kind(),
                  .attempt = attempt});
}

}  // namespace werf::hub
