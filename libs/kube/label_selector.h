// Kubernetes label selectors, parsed as kubectl and the API server parse the
// `labelSelector` query parameter (k8s.io/apimachinery/pkg/labels):
//
//   ASSIGN_OR_RETURN(LabelSelector selector, LabelSelector::Parse("team=payments,tier!=dev"));
//   if (selector.Matches(bundle.labels())) ...
//
// One parser for everything that selects by labels: the gateway's bundle filters
// (labels in a protobuf map) and the fake API server's List and Watch (labels in
// object JSON, libs/kube/testing/fake_selection.h), so both accept what the API
// server accepts.
//
// Equality-based: `key=value`, `key==value`, `key!=value` (also true when the label
// is absent). Set-based: `key in (a,b)`, `key notin (a,b)` (true when absent), `key`
// (exists), `!key` (does not exist). Numeric: `key>3`, `key<3`. Requirements are
// comma-separated and all must hold; the empty selector matches everything.
#ifndef WERF_OPERATOR_LIBS_KUBE_LABEL_SELECTOR_H_
#define WERF_OPERATOR_LIBS_KUBE_LABEL_SELECTOR_H_

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace werf::kube {

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
  // Any map from std::string to a string (google::protobuf::Map, std::map,
  // absl::flat_hash_map), so this library needs no protobuf.
  template <typename LabelMap>
    requires requires(const LabelMap& labels, const std::string& key) {
      { labels.find(key)->second } -> std::convertible_to<absl::string_view>;
      labels.find(key) == labels.end();
    }
  bool Matches(const LabelMap& labels) const {
    return Matches([&labels](absl::string_view key) -> std::optional<absl::string_view> {
      const auto it = labels.find(std::string(key));
      if (it == labels.end()) return std::nullopt;
      return absl::string_view(it->second);
    });
  }

  bool empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // Canonical form, requirements sorted by key: `team=payments,tier notin (dev,test)`.
  std::string ToString() const;

 private:
  explicit LabelSelector(std::vector<Requirement> requirements)
      : requirements_(std::move(requirements)) {}

  std::vector<Requirement> requirements_;
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_LABEL_SELECTOR_H_
