// Which objects a List or Watch of the fake API server selects. Label selectors are
// parsed and matched by the real parser (libs/kube/label_selector.h), so equality- and
// set-based selectors (a=b, a!=b, a in (x,y), a notin (x), a, !a, a>1) behave as on
// the API server. Field selectors are equality-based on metadata.name,
// metadata.namespace and a Secret's top-level `type` (the controller's Secret informer
// skips Helm release Secrets with `type!=helm.sh/release.v1`), the ones operators use;
// set-based field selectors and other fields are Unimplemented, so a test that needs
// them fails loudly rather than matching wrongly.
#ifndef WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_SELECTION_H_
#define WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_SELECTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/kube/label_selector.h"
#include "nlohmann/json.hpp"

namespace werf::kube::testing {

class Selection {
 public:
  // Empty selectors select everything.
  static absl::StatusOr<Selection> Create(absl::string_view label_selector,
                                          absl::string_view field_selector);

  bool Selects(const nlohmann::json& object) const;

  // One field-selector term: `key=value`, `key==value`, `key!=value`, `key` (exists) or `!key`.
  struct Requirement {
    enum class Op { kEquals, kNotEquals, kExists, kNotExists };
    std::string key{};
    Op op = Op::kExists;
    std::string value{};
  };

 private:
  Selection() = default;

  LabelSelector labels_;
  std::vector<Requirement> fields_;
};

}  // namespace werf::kube::testing

#endif  // WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_SELECTION_H_
