// The tags of one repository as the controller keeps them: once per repository,
// shared by every bundle that tracks it, in a compact form (one buffer, 32-bit
// offsets) with the semver tags pre-sorted by precedence, and with the choice per
// (tag filter, constraint) cached. A new tag list is a new TagSet, so the cache is
// keyed by the repository's version implicitly.
//
// Why: at 10 bundles per repository every bundle's reconcile used to parse every
// tag of its repository again; now a repository's tags are parsed once per change
// and each distinct constraint is evaluated once, walking down from the highest
// version until one passes.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_TAG_SET_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_TAG_SET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "services/controller/bundle_spec.h"

namespace werf::controller {

// Which tag a bundle should run: the highest semver tag that passes the tag
// filter and the constraint. Never lexical order: "1.10.0" beats "1.9.0".
struct TagChoice {
  std::optional<std::string> tag;  // none when nothing matches
  int considered = 0;              // tags that parsed as semver and passed the filter
};

class TagSet {
 public:
  explicit TagSet(absl::Span<const std::string> tags);
  TagSet(const TagSet&) = delete;
  TagSet& operator=(const TagSet&) = delete;

  // All tags, semver or not.
  size_t size() const { return offsets_.size(); }
  // The i-th tag in the order the registry listed them.
  absl::string_view tag(size_t i) const;
  // True when `tags` is the list this set was built from, in the same order.
  bool Equals(absl::Span<const std::string> tags) const;

  // The choice for `spec`'s tag filter and constraint; computed once per distinct
  // pair. Equal precedence ("1.2.3" and "v1.2.3+build"): the one listed first wins.
  TagChoice Choose(const BundleSpec& spec) const;

  // Choices computed so far (not cache hits); for tests and benchmarks.
  int choices_computed() const;

 private:
  TagChoice Compute(const BundleSpec& spec) const;

  std::string buffer_;                  // every tag, back to back
  std::vector<uint32_t> offsets_;       // tag i is buffer_[offsets_[i], offsets_[i + 1] or end)
  std::vector<uint32_t> by_precedence_; // indices of the semver tags, highest first

  // A bundle spec names few distinct (filter, constraint) pairs; a bound keeps a
  // pathological cluster from growing it without limit.
  static constexpr size_t kMaxCachedChoices = 64;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, TagChoice> choices_ ABSL_GUARDED_BY(mu_);
  mutable int choices_computed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_TAG_SET_H_
