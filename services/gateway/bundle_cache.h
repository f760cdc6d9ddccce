// The gateway's memory: every WerfBundle as a Bundle message, ordered by namespace
// and name, with per-namespace phase counts and the change log that watches follow.
// The informer writes; every RPC and HTTP request reads. Nothing here calls the API
// server.
//
// Bundles are immutable once stored (shared_ptr<const>), so readers copy pointers
// under a reader lock and never hold it while serialising or writing to a network.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_CACHE_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/clock.h"
#include "services/gateway/bundle_key.h"
#include "services/gateway/change_log.h"
#include "werf/operator/v1/bundle_service.pb.h"

namespace werf::gateway {

using BundleMatcher = absl::FunctionRef<bool(const pb::Bundle&)>;

// Adds `bundle` to `counts` (by phase, suspended, total); `sign` -1 removes it.
void CountBundle(const pb::Bundle& bundle, int sign, pb::PhaseCounts& counts);

class BundleCache {
 public:
  struct Options {
    // Changes kept for resuming watches and for watches that lag behind.
    size_t change_log_capacity = 4096;
    uint32_t epoch = 0;  // 0: random (see ChangeLog)
    // What watches time their waits, heartbeats and re-checks by (the change log's
    // clock); defaults to common::RealClock(). Must outlive the cache.
    common::Clock* clock = nullptr;
  };

  explicit BundleCache(Options options);

  BundleCache(const BundleCache&) = delete;
  BundleCache& operator=(const BundleCache&) = delete;

  // --- the informer's side -----------------------------------------------------------

  // Stores the bundle. Returns false, recording nothing, when the stored bundle has the
  // same resourceVersion (informer relists and resyncs re-deliver unchanged objects).
  bool Upsert(pb::Bundle bundle) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns false when the bundle was not there.
  bool Remove(const BundleKey& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Shutdown: watches end (their ChangesSince returns Unavailable).
  void Close() { log_.Close(); }

  // --- readers -------------------------------------------------------------------------

  BundlePtr Get(const BundleKey& key) const ABSL_LOCKS_EXCLUDED(mu_);
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  // Namespaces that hold at least one bundle, ordered.
  std::vector<std::string> Namespaces() const ABSL_LOCKS_EXCLUDED(mu_);

  struct Page {
    std::vector<BundlePtr> bundles;
    bool more = false;  // matching bundles follow the page
    size_t total = 0;   // matching bundles in all pages
  };
  // Bundles in key order, within namespace `ns` unless it is empty. The page starts
  // after `after` (from the beginning when nullopt) and holds at most `limit`.
  // O(log n + limit): the total comes from the per-namespace counts.
  Page List(absl::string_view ns, const std::optional<BundleKey>& after, size_t limit) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Only bundles that `match`. O(n) in the namespace (or the cache): every bundle is
  // matched to count the total. `match` runs under the cache's lock: it must not block.
  Page List(absl::string_view ns, const std::optional<BundleKey>& after, size_t limit,
            BundleMatcher match) const ABSL_LOCKS_EXCLUDED(mu_);

  // Phase counts of every namespace that holds bundles, ordered by namespace.
  std::map<std::string, pb::PhaseCounts> CountsByNamespace() const ABSL_LOCKS_EXCLUDED(mu_);

  struct Snapshot {
    uint64_t revision = 0;  // the change log's revision the snapshot is consistent with
    std::vector<BundlePtr> bundles;
  };
  // Every bundle that matches, as of one revision (see List for `ns` and `match`).
  Snapshot TakeSnapshot(absl::string_view ns, BundleMatcher match) const ABSL_LOCKS_EXCLUDED(mu_);

  const ChangeLog& changes() const { return log_; }

 private:
  using Map = absl::btree_map<BundleKey, BundlePtr>;

  // [begin, end) of namespace `ns`, or of everything when `ns` is empty.
  std::pair<Map::const_iterator, Map::const_iterator> RangeLocked(absl::string_view ns) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void RecordLocked(BundlePtr before, BundlePtr after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Appended to while mu_ is held, so a snapshot taken under mu_ matches a revision.
  ChangeLog log_;

  mutable absl::Mutex mu_;
  Map bundles_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, pb::PhaseCounts> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_CACHE_H_
