// Which tag a bundle should run: the highest semver tag that passes the tag
// filter and the constraint. Never lexical order: "1.10.0" beats "1.9.0".
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_TAG_SELECTION_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_TAG_SELECTION_H_

#include <optional>
#include <string>
#include <vector>

#include "services/controller/bundle_spec.h"

namespace werf::controller {

struct TagChoice {
  std::optional<std::string> tag;  // none when nothing matches
  int considered = 0;              // tags that parsed as semver and passed the filter
};

TagChoice ChooseTag(const std::vector<std::string>& tags, const BundleSpec& spec);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_TAG_SELECTION_H_
