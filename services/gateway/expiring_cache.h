// A small thread-safe map whose entries expire, for remembering access decisions
// briefly. Bounded: when full, expired entries go first, and if that is not enough
// the whole map is dropped (decisions are cheap to make again; memory is not).
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_EXPIRING_CACHE_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_EXPIRING_CACHE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace werf::gateway {

template <typename Value>
class ExpiringCache {
 public:
  explicit ExpiringCache(size_t max_entries) : max_entries_(max_entries) {}

  std::optional<Value> Get(const std::string& key, absl::Time now) const {
    absl::ReaderMutexLock lock(&mu_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
    return it->second.value;
  }

  void Put(std::string key, Value value, absl::Time expires, absl::Time now) {
    absl::MutexLock lock(&mu_);
    if (entries_.size() >= max_entries_) {
      absl::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
      if (entries_.size() >= max_entries_) entries_.clear();
    }
    entries_.insert_or_assign(std::move(key), Entry{std::move(value), expires});
  }

  size_t size() const {
    absl::ReaderMutexLock lock(&mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    Value value;
    absl::Time expires;
  };

  const size_t max_entries_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_EXPIRING_CACHE_H_
