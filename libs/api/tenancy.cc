#include "libs/api/tenancy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace werf::api {

std::vector<std::string> SplitList(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

absl::Status CheckTarget(const TenancyPolicy& policy, absl::string_view bundle_namespace,
                         absl::string_view target_namespace, absl::string_view service_account,
                         const std::map<std::string, std::string>& target_annotations) {
  if (target_namespace == bundle_namespace) return absl::OkStatus();
  if (!policy.operator_namespace.empty() && bundle_namespace == policy.operator_namespace) {
    return absl::OkStatus();
  }
  const std::string refused = absl::StrCat("spec.converge.targetNamespace: a WerfBundle in namespace \"",
                                           bundle_namespace, "\" may not deploy into namespace \"",
                                           target_namespace, "\"");
  const std::string admins =
      policy.operator_namespace.empty()
          ? ""
          : absl::StrCat(" (bundles in \"", policy.operator_namespace, "\" may deploy anywhere)");
  if (policy.no_cross_namespace_refs) {
    return absl::PermissionDeniedError(absl::StrCat(
        refused, ": the operator runs with --no_cross_namespace_refs, so only its own namespace's bundles cross namespaces",
        admins));
  }
  const auto grant = target_annotations.find(kAcceptBundlesFromAnnotation);
  const std::string wanted = absl::StrCat(bundle_namespace, "/", service_account);
  if (grant == target_annotations.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        refused, " without a grant: annotate Namespace \"", target_namespace, "\" with ",
        kAcceptBundlesFromAnnotation, "=", wanted, admins));
  }
  std::vector<std::string> accounts;
  for (const std::string& entry : SplitList(grant->second)) {
    std::pair<std::string, std::string> parts = absl::StrSplit(entry, absl::MaxSplits('/', 1));
    if (parts.first != bundle_namespace) continue;
    if (parts.second == "*" || parts.second == service_account) return absl::OkStatus();
    accounts.push_back(parts.second);
  }
  if (accounts.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        refused, ": Namespace \"", target_namespace, "\" accepts bundles only from the entries of its ",
        kAcceptBundlesFromAnnotation, " annotation (\"", grant->second, "\"); add ", wanted));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "spec.converge.serviceAccountName: Namespace \"", target_namespace, "\" accepts bundles from \"",
      bundle_namespace, "\" only as ServiceAccount(s) ", absl::StrJoin(accounts, ", "), ", not \"",
      service_account, "\"; add ", wanted, " to its ", kAcceptBundlesFromAnnotation, " annotation"));
}

absl::Status CheckImage(const TenancyPolicy& policy, absl::string_view image) {
  if (image.empty()) return absl::OkStatus();
  for (const std::string& allowed : policy.allowed_images) {
    if (allowed == image) return absl::OkStatus();
    if (absl::EndsWith(allowed, "*") && absl::StartsWith(image, absl::string_view(allowed).substr(0, allowed.size() - 1))) {
      return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "spec.converge.image: \"", image, "\" is not allowed by the operator (allowed: ",
      policy.allowed_images.empty() ? "only the configured werf image" : absl::StrJoin(policy.allowed_images, ", "),
      "); remove the field to use the operator's werf image, or ask an administrator to add it to --allowed_images"));
}

}  // namespace werf::api
