#include "libs/oci/token_cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace werf::oci {

TokenCache::TokenCache(common::Clock& clock, size_t max_entries)
    : clock_(clock), max_entries_(std::max<size_t>(max_entries, 1)) {}

std::string TokenCache::KeyString(const TokenKey& key) {
  // Length prefixes keep distinct keys distinct whatever characters they hold.
  return absl::StrCat(key.realm.size(), ":", key.realm, key.service.size(), ":", key.service, key.scope.size(), ":",
                      key.scope, key.identity.size(), ":", key.identity);
}

absl::Duration TokenCache::RefreshMargin(absl::Duration lifetime) {
  return std::min(lifetime / 10, absl::Seconds(30));
}

std::optional<std::string> TokenCache::Get(const TokenKey& key) const {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(KeyString(key));
  if (it == entries_.end() || now >= it->second.refresh_at) return std::nullopt;
  return it->second.token;
}

void TokenCache::Put(const TokenKey& key, std::string token, absl::Duration expires_in) {
  const absl::Duration lifetime = expires_in > absl::ZeroDuration() ? expires_in : kDefaultTokenLifetime;
  Entry entry{.token = std::move(token), .refresh_at = clock_.Now() + lifetime - RefreshMargin(lifetime)};
  absl::MutexLock lock(&mu_);
  entries_.insert_or_assign(KeyString(key), std::move(entry));
  if (entries_.size() > max_entries_) EvictLocked();
}

void TokenCache::Invalidate(const TokenKey& key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(KeyString(key));
}

size_t TokenCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

// Drops expired tokens; if the cache is still full, the ones expiring soonest.
// Linear, but it runs only when the cache overflows, which a cap sized for the
// number of tracked repositories makes rare.
void TokenCache::EvictLocked() {
  const absl::Time now = clock_.Now();
  absl::erase_if(entries_, [now](const auto& item) { return now >= item.second.refresh_at; });
  while (entries_.size() > max_entries_) {
    auto soonest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.refresh_at < b.second.refresh_at;
    });
    entries_.erase(soonest);
  }
}

}  // namespace werf::oci
