// One client's watch, independent of the transport (gRPC stream or SSE): a snapshot
// of the matching bundles as ADDED events, a SYNCED marker, then the changes that
// concern the client, read from the change log at the client's own pace, and
// HEARTBEATs while nothing happens.
//
// With auth on, the caller's access is checked again every `recheck_interval` and when
// the token expires (NamespaceAccess::Recheck, through the Authorizer's caches); a
// watch whose token or grants are gone ends with that error, before anything else is
// sent.
//
// Time is the cache's clock (BundleCache::Options::clock, which its change log waits
// on): heartbeats, re-checks, the token's expiry and how long Next waits are all read
// from it. The Authorizer that decides the token's expiry must use the same clock.
//
// A client that falls behind the change log gets RESYNC and a fresh snapshot; a
// client that resumes from a revision still in the log gets SYNCED at once and then
// only what it missed. Snapshot entries carry no revision (a snapshot cannot be
// resumed half-way); SYNCED, changes and heartbeats carry the revision to resume from.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_WATCH_SESSION_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_WATCH_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "services/gateway/bundle_cache.h"
#include "services/gateway/bundle_filter.h"
#include "werf/operator/v1/bundle_service.pb.h"

namespace werf::gateway {

class WatchSession {
 public:
  struct Options {
    absl::Duration heartbeat_interval = absl::Seconds(15);
    // Changes read from the log at once; bounds the events queued in the session.
    size_t max_changes_per_read = 256;
    // Called on every RESYNC (for metrics).
    std::function<void()> on_resync{};
    // How often the caller's access is checked again (--watch_reauth_interval).
    absl::Duration recheck_interval = absl::Minutes(1);
    // Called with the outcome of every re-check (for metrics).
    std::function<void(const absl::Status&)> on_recheck{};
  };

  // `resume_from`: where the client left off; nullopt starts with a snapshot.
  // Thread-compatible: one thread drives a session.
  WatchSession(const BundleCache& cache, BundleFilter filter, std::optional<Revision> resume_from,
               Options options);

  WatchSession(const WatchSession&) = delete;
  WatchSession& operator=(const WatchSession&) = delete;

  // The next event, waiting `wait` at most (on clock()); nullopt when there was none by
  // then (the caller checks that its client is still there, and calls again).
  // An error ends the watch: Unavailable when the gateway shuts down (or access could
  // not be checked again), Unauthenticated when the token has expired or is no longer
  // accepted, PermissionDenied when access was revoked.
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> Next(absl::Duration wait);

  // The clock the session's time is read from: the cache's change log's.
  common::Clock& clock() const { return clock_; }

  // Snapshots sent because the client fell behind or could not resume.
  int resyncs() const { return resyncs_; }

 private:
  void StartSnapshot(bool resync);
  // When access is next checked: InfiniteFuture without auth.
  absl::Time NextRecheck(absl::Time now) const;
  void QueueChange(const BundleChange& change);
  pb::WatchBundlesResponse Marker(pb::WatchEventType type, bool with_revision) const;
  pb::WatchBundlesResponse Sent(pb::WatchBundlesResponse event);

  const BundleCache& cache_;
  const BundleFilter filter_;
  const Options options_;
  common::Clock& clock_;

  uint64_t cursor_ = 0;  // every change up to here is queued or sent
  std::deque<pb::WatchBundlesResponse> queued_;
  std::vector<BundlePtr> snapshot_;
  size_t snapshot_sent_ = 0;
  bool synced_due_ = false;
  absl::Time last_sent_;
  absl::Time recheck_due_;
  int resyncs_ = 0;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_WATCH_SESSION_H_
