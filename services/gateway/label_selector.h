// Kubernetes label selectors, parsed as kubectl and the API server parse the
// `labelSelector` query parameter (k8s.io/apimachinery/pkg/labels):
//
//   ASSIGN_OR_RETURN(LabelSelector selector, LabelSelector::Parse("team=payments,tier!=dev"));
//   if (selector.Matches(bundle.labels())) ...
//
// Equality-based: `key=value`, `key==value`, `key!=value` (also true when the label
// is absent). Set-based: `key in (a,b)`, `key notin (a,b)` (true when absent), `key`
// (exists), `!key` (does not exist). Numeric: `key>3`, `key<3`. Requirements are
// comma-separated and all must hold; the empty selector matches everything.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_LABEL_SELECTOR_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_LABEL_SELECTOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"

namespace werf::gateway {

class LabelSelector {
 public:
  enum class Operator { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreaterThan, kLessThan };

  struct Requirement {
    std::string key;
    Operator op = Operator::kExists;
    std::vector<std::string> values{};  // sorted, unique; one for =, !=, >, <
  };

  // The empty selector: matches everything.
  LabelSelector() = default;

  // InvalidArgument quoting `text` and saying what is wrong where, e.g.
  // `invalid label selector "tier in dev": expected "(" after "in" at offset 8`.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);

  // `lookup(key)` returns the label's value, or nullopt when the label is absent.
  bool Matches(absl::FunctionRef<std::optional<absl::string_view>(absl::string_view)> lookup) const;
  bool Matches(const google::protobuf::Map<std::string, std::string>& labels) const;

  bool empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // Canonical form, requirements sorted by key: `team=payments,tier notin (dev,test)`.
  std::string ToString() const;

 private:
  explicit LabelSelector(std::vector<Requirement> requirements)
      : requirements_(std::move(requirements)) {}

  std::vector<Requirement> requirements_;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_LABEL_SELECTOR_H_
