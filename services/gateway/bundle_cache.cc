#include "services/gateway/bundle_cache.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace werf::gateway {

void CountBundle(const pb::Bundle& bundle, int sign, pb::PhaseCounts& counts) {
  switch (bundle.phase()) {
    case pb::BUNDLE_PHASE_SYNCING: counts.set_syncing(counts.syncing() + sign); break;
    case pb::BUNDLE_PHASE_SYNCED: counts.set_synced(counts.synced() + sign); break;
    case pb::BUNDLE_PHASE_FAILED: counts.set_failed(counts.failed() + sign); break;
    default: counts.set_unknown(counts.unknown() + sign); break;
  }
  if (bundle.spec().suspend()) counts.set_suspended(counts.suspended() + sign);
  counts.set_total(counts.total() + sign);
}

BundleCache::BundleCache(Options options)
    : log_(options.change_log_capacity, options.epoch,
           options.clock != nullptr ? *options.clock : common::RealClock()) {}

void BundleCache::RecordLocked(BundlePtr before, BundlePtr after) {
  if (before != nullptr) {
    const auto it = counts_.find(before->namespace_());
    if (it != counts_.end()) {
      CountBundle(*before, -1, it->second);
      if (it->second.total() <= 0) counts_.erase(it);
    }
  }
  if (after != nullptr) CountBundle(*after, +1, counts_[after->namespace_()]);
  log_.Append(std::move(before), std::move(after));
}

bool BundleCache::Upsert(pb::Bundle bundle) {
  BundleKey key{bundle.namespace_(), bundle.name()};
  auto stored = std::make_shared<const pb::Bundle>(std::move(bundle));
  absl::MutexLock lock(&mu_);
  BundlePtr& slot = bundles_[std::move(key)];
  if (slot != nullptr && !slot->resource_version().empty() &&
      slot->resource_version() == stored->resource_version()) {
    return false;
  }
  BundlePtr before = std::exchange(slot, stored);
  RecordLocked(std::move(before), std::move(stored));
  return true;
}

bool BundleCache::Remove(const BundleKey& key) {
  absl::MutexLock lock(&mu_);
  const auto it = bundles_.find(key);
  if (it == bundles_.end()) return false;
  BundlePtr before = std::move(it->second);
  bundles_.erase(it);
  RecordLocked(std::move(before), nullptr);
  return true;
}

BundlePtr BundleCache::Get(const BundleKey& key) const {
  absl::ReaderMutexLock lock(&mu_);
  const auto it = bundles_.find(key);
  return it == bundles_.end() ? nullptr : it->second;
}

size_t BundleCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return bundles_.size();
}

std::vector<std::string> BundleCache::Namespaces() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> namespaces;
  namespaces.reserve(counts_.size());
  for (const auto& [ns, counts] : counts_) namespaces.push_back(ns);
  return namespaces;
}

std::pair<BundleCache::Map::const_iterator, BundleCache::Map::const_iterator>
BundleCache::RangeLocked(absl::string_view ns) const {
  if (ns.empty()) return {bundles_.begin(), bundles_.end()};
  // ns + '\0' is the least namespace greater than ns.
  const auto begin = bundles_.lower_bound(BundleKey{std::string(ns), ""});
  const auto end = bundles_.lower_bound(BundleKey{absl::StrCat(ns, std::string(1, '\0')), ""});
  return {begin, end};
}

BundleCache::Page BundleCache::List(absl::string_view ns, const std::optional<BundleKey>& after,
                                    size_t limit) const {
  Page page;
  absl::ReaderMutexLock lock(&mu_);
  const auto [begin, end] = RangeLocked(ns);
  if (ns.empty()) {
    page.total = bundles_.size();
  } else if (const auto counts = counts_.find(std::string(ns)); counts != counts_.end()) {
    page.total = static_cast<size_t>(counts->second.total());
  }
  auto it = begin;
  if (after.has_value()) {
    if (ns.empty() || after->ns == ns) it = bundles_.upper_bound(*after);
    if (!ns.empty() && after->ns > ns) it = end;  // upper_bound would land beyond `end`
  }
  for (; it != end && page.bundles.size() < limit; ++it) page.bundles.push_back(it->second);
  page.more = it != end;
  return page;
}

BundleCache::Page BundleCache::List(absl::string_view ns, const std::optional<BundleKey>& after,
                                    size_t limit, BundleMatcher match) const {
  Page page;
  absl::ReaderMutexLock lock(&mu_);
  const auto [begin, end] = RangeLocked(ns);
  for (auto it = begin; it != end; ++it) {
    if (!match(*it->second)) continue;
    ++page.total;
    if (after.has_value() && !(*after < it->first)) continue;
    if (page.bundles.size() < limit) {
      page.bundles.push_back(it->second);
    } else {
      page.more = true;
    }
  }
  return page;
}

std::map<std::string, pb::PhaseCounts> BundleCache::CountsByNamespace() const {
  absl::ReaderMutexLock lock(&mu_);
  return counts_;
}

BundleCache::Snapshot BundleCache::TakeSnapshot(absl::string_view ns, BundleMatcher match) const {
  Snapshot snapshot;
  absl::ReaderMutexLock lock(&mu_);
  snapshot.revision = log_.last_revision();
  const auto [begin, end] = RangeLocked(ns);
  for (auto it = begin; it != end; ++it) {
    if (match(*it->second)) snapshot.bundles.push_back(it->second);
  }
  return snapshot;
}

}  // namespace werf::gateway
