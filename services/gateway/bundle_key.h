// The identity of a bundle and the gateway's one ordering of bundles: by namespace,
// then name (compared as separate strings, so "a" sorts before "a-b" whatever the
// names are).
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_KEY_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_KEY_H_

#include <compare>
#include <string>

#include "absl/strings/str_cat.h"

namespace werf::gateway {

struct BundleKey {
  std::string ns;
  std::string name;

  friend auto operator<=>(const BundleKey&, const BundleKey&) = default;
  friend bool operator==(const BundleKey&, const BundleKey&) = default;

  // "namespace/name", for messages and logs.
  std::string ToString() const { return absl::StrCat(ns, "/", name); }
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_KEY_H_
