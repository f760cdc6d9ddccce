// Which objects a List or Watch of the fake API server selects: equality-based label
// selectors (a=b, a==b, a!=b, a, !a) and field selectors on metadata.name and
// metadata.namespace, the ones operators use. Set-based label selectors (in, notin)
// and other fields are Unimplemented, so a test that needs them fails loudly rather
// than matching wrongly.
#ifndef WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_SELECTION_H_
#define WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_SELECTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace werf::kube::testing {

class Selection {
 public:
  // Empty selectors select everything.
  static absl::StatusOr<Selection> Create(absl::string_view label_selector,
                                          absl::string_view field_selector);

  bool Selects(const nlohmann::json& object) const;

  // One term: `key=value`, `key==value`, `key!=value`, `key` (exists) or `!key`.
  struct Requirement {
    enum class Op { kEquals, kNotEquals, kExists, kNotExists };
    std::string key{};
    Op op = Op::kExists;
    std::string value{};
  };

 private:
  Selection() = default;

  std::vector<Requirement> labels_;
  std::vector<Requirement> fields_;
};

}  // namespace werf::kube::testing

#endif  // WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_SELECTION_H_
