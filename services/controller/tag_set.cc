#include "services/controller/tag_selection.h"

namespace werf::controller {

TagChoice ChooseTag(const std::vector<std::string>& tags, const BundleSpec& spec) {
  TagChoice choice;
  std::optional<common::Version> best;
  for (const std::string& tag : tags) {
    if (spec.tag_filter != nullptr && !re2::RE2::PartialMatch(tag, *spec.tag_filter)) continue;
    absl::StatusOr<common::Version> version = common::ParseVersion(tag);
    if (!version.ok()) continue;  // not a version: "latest", "main", digests...
    ++choice.considered;
    if (spec.constraint.has_value() && !spec.constraint->Matches(*version)) continue;
    // Equal precedence ("1.2.3" and "v1.2.3+build"): keep the first, deterministically.
    if (!best.has_value() || common::Compare(*version, *best) > 0) {
      best = *version;
      choice.tag = tag;
    }
  }
  return choice;
}

}  // namespace werf::controller
