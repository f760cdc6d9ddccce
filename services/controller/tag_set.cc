#include "services/controller/tag_set.h"

#include <algorithm>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "libs/common/semver.h"
#include "re2/re2.h"

namespace werf::controller {

TagSet::TagSet(absl::Span<const std::string> tags) {
  size_t bytes = 0;
  for (const std::string& tag : tags) bytes += tag.size();
  buffer_.reserve(bytes);
  offsets_.reserve(tags.size());
  std::vector<std::pair<common::Version, uint32_t>> versions;
  for (size_t i = 0; i < tags.size(); ++i) {
    offsets_.push_back(static_cast<uint32_t>(buffer_.size()));
    buffer_.append(tags[i]);
    absl::StatusOr<common::Version> version = common::ParseVersion(tags[i]);
    if (version.ok()) versions.emplace_back(*std::move(version), static_cast<uint32_t>(i));
  }
  // Stable: among equal precedence the tag listed first stays first.
  std::stable_sort(versions.begin(), versions.end(),
                   [](const auto& a, const auto& b) { return common::Compare(a.first, b.first) > 0; });
  by_precedence_.reserve(versions.size());
  for (const auto& [version, index] : versions) by_precedence_.push_back(index);
}

absl::string_view TagSet::tag(size_t i) const {
  const size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : buffer_.size();
  return absl::string_view(buffer_).substr(offsets_[i], end - offsets_[i]);
}

bool TagSet::Equals(absl::Span<const std::string> tags) const {
  if (tags.size() != size()) return false;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tag(i) != tags[i]) return false;
  }
  return true;
}

TagChoice TagSet::Choose(const BundleSpec& spec) const {
  // '\n' cannot appear in either text (both are single-line spec fields).
  const std::string key = absl::StrCat(spec.tag_filter_text, "\n", spec.constraint_text);
  {
    absl::MutexLock lock(&mu_);
    if (auto it = choices_.find(key); it != choices_.end()) return it->second;
  }
  TagChoice choice = Compute(spec);
  absl::MutexLock lock(&mu_);
  ++choices_computed_;
  if (choices_.size() >= kMaxCachedChoices) choices_.clear();
  choices_.emplace(key, choice);
  return choice;
}

TagChoice TagSet::Compute(const BundleSpec& spec) const {
  TagChoice choice;
  for (uint32_t index : by_precedence_) {
    const absl::string_view text = tag(index);
    if (spec.tag_filter != nullptr && !re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *spec.tag_filter)) continue;
    ++choice.considered;
    if (choice.tag.has_value()) continue;  // still counting what the filter lets through
    if (spec.constraint.has_value()) {
      // Parsed again only for the few tags tried from the top; the set keeps no Version
      // objects (each holds a string and two vectors).
      absl::StatusOr<common::Version> version = common::ParseVersion(text);
      if (!version.ok() || !spec.constraint->Matches(*version)) continue;
    }
    choice.tag = std::string(text);
    if (spec.tag_filter == nullptr) {
      choice.considered = static_cast<int>(by_precedence_.size());
      break;
    }
  }
  return choice;
}

int TagSet::choices_computed() const {
  absl::MutexLock lock(&mu_);
  return choices_computed_;
}

}  // namespace werf::controller
