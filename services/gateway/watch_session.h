// One client's watch, independent of the transport (gRPC stream or SSE): a snapshot
// of the matching bundles as ADDED events, a SYNCED marker, then the changes that
// concern the client, read from the change log at the client's own pace, and
// HEARTBEATs while nothing happens.
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

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  };

  // `resume_from`: where the client left off; nullopt starts with a snapshot.
  // Thread-compatible: one thread drives a session.
  WatchSession(const BundleCache& cache, BundleFilter filter, std::optional<Revision> resume_from,
               Options options);

  WatchSession(const WatchSession&) = delete;
  WatchSession& operator=(const WatchSession&) = delete;

  // The next event, waiting until `deadline` at most; nullopt when there was none by
  // then (the caller checks that its client is still there, and calls again).
  // An error ends the watch: Unavailable when the gateway shuts down.
  absl::StatusOr<std::optional<pb::WatchBundlesResponse>> Next(absl::Time deadline);

  // Snapshots sent because the client fell behind or could not resume.
  int resyncs() const { return resyncs_; }

 private:
  void StartSnapshot(bool resync);
  void QueueChange(const BundleChange& change);
  pb::WatchBundlesResponse Marker(pb::WatchEventType type, bool with_revision) const;
  pb::WatchBundlesResponse Sent(pb::WatchBundlesResponse event);

  const BundleCache& cache_;
  const BundleFilter filter_;
  const Options options_;

  uint64_t cursor_ = 0;  // every change up to here is queued or sent
  std::deque<pb::WatchBundlesResponse> queued_;
  std::vector<BundlePtr> snapshot_;
  size_t snapshot_sent_ = 0;
  bool synced_due_ = false;
  absl::Time last_sent_;
  int resyncs_ = 0;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_WATCH_SESSION_H_
