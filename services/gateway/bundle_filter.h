// Which bundles one request is about: a namespace, a phase, a label selector, and the
// namespaces the caller may see. Shared by lists and watches.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_FILTER_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_FILTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/kube/label_selector.h"
#include "services/gateway/access_control.h"
#include "werf/operator/v1/bundle.pb.h"

namespace werf::gateway {

namespace pb = ::werf::operator_::v1;

struct BundleFilter {
  std::string ns;  // empty: every namespace
  pb::BundlePhase phase = pb::BUNDLE_PHASE_UNSPECIFIED;  // UNSPECIFIED: any phase
  kube::LabelSelector selector;
  std::shared_ptr<NamespaceAccess> access;  // null: every namespace

  // Never blocks: a namespace whose access is undecided does not match. Safe under
  // the cache's lock.
  bool Matches(const pb::Bundle& bundle) const;
  // Decides access to a namespace met for the first time (may ask the API server).
  // For watches, which meet namespaces as they appear.
  bool MatchesDecidingAccess(const pb::Bundle& bundle) const;

  // The filters a page token is bound to (not the access scope: that is the caller's,
  // and a token stays valid while RBAC changes).
  std::string Fingerprint() const;
};

// Parses a label selector request field; the error names the field.
absl::StatusOr<kube::LabelSelector> ParseSelectorField(absl::string_view field, absl::string_view text);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_FILTER_H_
