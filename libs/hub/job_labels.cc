#include "libs/hub/job_labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/hashing.h"

namespace werf::hub {
namespace {

namespace pb = ::werf::operator_::v1;

constexpr size_t kMaxLabelValue = 63;

bool IsLabelValueChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

bool IsValidLabelValue(absl::string_view text) {
  if (text.empty()) return true;
  if (text.size() > kMaxLabelValue) return false;
  if (!absl::ascii_isalnum(text.front()) || !absl::ascii_isalnum(text.back())) return false;
  for (char c : text) {
    if (!IsLabelValueChar(c)) return false;
  }
  return true;
}

}  // namespace

absl::string_view JobKindLabel(pb::JobKind kind) {
  switch (kind) {
    case pb::JOB_KIND_APPLY:
      return "apply";
    case pb::JOB_KIND_DRIFT_CHECK:
      return "drift-check";
    default:
      return "";
  }
}

std::optional<pb::JobKind> JobKindFromLabel(absl::string_view label) {
  if (label == "apply") return pb::JOB_KIND_APPLY;
  if (label == "drift-check") return pb::JOB_KIND_DRIFT_CHECK;
  return std::nullopt;
}

std::string LabelValue(absl::string_view text) {
  if (IsValidLabelValue(text)) return std::string(text);
  const std::string suffix = common::ShortHash(text, 10);
  std::string prefix;
  for (char c : text) {
    if (prefix.size() == kMaxLabelValue - suffix.size() - 1) break;
    prefix.push_back(IsLabelValueChar(c) ? c : '-');
  }
  // Both ends must be alphanumeric: drop what is not at the front, and at the back
  // (the "-" before the hash is added afterwards).
  while (!prefix.empty() && !absl::ascii_isalnum(prefix.front())) prefix.erase(0, 1);
  while (!prefix.empty() && !absl::ascii_isalnum(prefix.back())) prefix.pop_back();
  if (prefix.empty()) return suffix;
  return absl::StrCat(prefix, "-", suffix);
}

std::string ManagedJobsSelector() { return absl::StrCat(kLabelManagedBy, "=", kManagedByValue); }

std::string BundleJobsSelector(absl::string_view bundle_namespace, absl::string_view bundle_name) {
  return absl::StrCat(ManagedJobsSelector(), ",", kLabelBundleNamespace, "=",
                      LabelValue(bundle_namespace), ",", kLabelBundle, "=", LabelValue(bundle_name));
}

}  // namespace werf::hub
