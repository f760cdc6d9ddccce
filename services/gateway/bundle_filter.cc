#include "services/gateway/bundle_filter.h"

#include "absl/strings/str_cat.h"
#include "services/gateway/page_token.h"

namespace werf::gateway {
namespace {

bool MatchesIgnoringAccess(const BundleFilter& filter, const pb::Bundle& bundle) {
  if (filter.phase != pb::BUNDLE_PHASE_UNSPECIFIED && bundle.phase() != filter.phase) return false;
  if (!filter.ns.empty() && bundle.namespace_() != filter.ns) return false;
  return filter.selector.Matches(bundle.labels());
}

}  // namespace

bool BundleFilter::Matches(const pb::Bundle& bundle) const {
  return MatchesIgnoringAccess(*this, bundle) &&
         (access == nullptr || access->AllowsKnown(bundle.namespace_()));
}

bool BundleFilter::MatchesDecidingAccess(const pb::Bundle& bundle) const {
  return MatchesIgnoringAccess(*this, bundle) &&
         (access == nullptr || access->Decide(bundle.namespace_()));
}

std::string BundleFilter::Fingerprint() const {
  return QueryFingerprint(absl::StrCat(ns, "|", pb::BundlePhase_Name(phase), "|", selector.ToString()));
}

absl::StatusOr<kube::LabelSelector> ParseSelectorField(absl::string_view field, absl::string_view text) {
  absl::StatusOr<kube::LabelSelector> selector = kube::LabelSelector::Parse(text);
  if (!selector.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", selector.status().message()));
  }
  return selector;
}

}  // namespace werf::gateway
