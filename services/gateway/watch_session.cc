#include "services/gateway/watch_session.h"

#include <algorithm>
#include <utility>

namespace werf::gateway {

WatchSession::WatchSession(const BundleCache& cache, BundleFilter filter,
                           std::optional<Revision> resume_from, Options options)
    : cache_(cache),
      filter_(std::move(filter)),
      options_(options),
      clock_(cache.changes().clock()),
      last_sent_(clock_.Now()),
      recheck_due_(NextRecheck(last_sent_)) {
  const ChangeLog& log = cache_.changes();
  if (resume_from.has_value() && resume_from->epoch == log.epoch() &&
      log.Covers(resume_from->value)) {
    cursor_ = resume_from->value;
    synced_due_ = true;
    return;
  }
  StartSnapshot(/*resync=*/resume_from.has_value());
}

void WatchSession::StartSnapshot(bool resync) {
  queued_.clear();
  if (resync) {
    ++resyncs_;
    if (options_.on_resync) options_.on_resync();
    queued_.push_back(Marker(pb::WATCH_EVENT_TYPE_RESYNC, /*with_revision=*/false));
  }
  // Decide access to every namespace first, outside the cache's lock, so the snapshot
  // (which must not block) and the changes after it see the same decisions.
  if (filter_.access != nullptr && !filter_.access->all()) {
    for (const std::string& ns : cache_.Namespaces()) {
      if (filter_.ns.empty() || ns == filter_.ns) filter_.access->Decide(ns);
    }
  }
  BundleCache::Snapshot snapshot =
      cache_.TakeSnapshot(filter_.ns, [this](const pb::Bundle& bundle) { return filter_.Matches(bundle); });
  cursor_ = snapshot.revision;
  snapshot_ = std::move(snapshot.bundles);
  snapshot_sent_ = 0;
  synced_due_ = true;
}

absl::Time WatchSession::NextRecheck(absl::Time now) const {
  if (filter_.access == nullptr || !filter_.access->rechecked()) return absl::InfiniteFuture();
  return std::min(now + options_.recheck_interval, filter_.access->caller().token_expiry());
}

pb::WatchBundlesResponse WatchSession::Marker(pb::WatchEventType type, bool with_revision) const {
  pb::WatchBundlesResponse event;
  event.set_type(type);
  if (with_revision) event.set_revision(FormatRevision({cache_.changes().epoch(), cursor_}));
  return event;
}

void WatchSession::QueueChange(const BundleChange& change) {
  const bool was = change.before != nullptr && filter_.MatchesDecidingAccess(*change.before);
  const bool is = change.after != nullptr && filter_.MatchesDecidingAccess(*change.after);
  if (!was && !is) return;
  pb::WatchBundlesResponse event;
  event.set_revision(FormatRevision({cache_.changes().epoch(), change.revision}));
  if (is) {
    event.set_type(was ? pb::WATCH_EVENT_TYPE_MODIFIED : pb::WATCH_EVENT_TYPE_ADDED);
    *event.mutable_bundle() = *change.after;
  } else {
    // Deleted, or no longer matching (e.g. relabelled): gone from the client's view.
    event.set_type(pb::WATCH_EVENT_TYPE_DELETED);
    event.mutable_bundle()->set_namespace_(change.before->namespace_());
    event.mutable_bundle()->set_name(change.before->name());
  }
  queued_.push_back(std::move(event));
}

pb::WatchBundlesResponse WatchSession::Sent(pb::WatchBundlesResponse event) {
  last_sent_ = clock_.Now();
  return event;
}

absl::StatusOr<std::optional<pb::WatchBundlesResponse>> WatchSession::Next(absl::Duration wait) {
  const absl::Time deadline = clock_.Now() + wait;
  while (true) {
    // First: nothing more is sent once access is gone, however busy the watch.
    if (clock_.Now() >= recheck_due_) {
      const absl::Status access = filter_.access->Recheck();
      if (options_.on_recheck) options_.on_recheck(access);
      if (!access.ok()) return access;
      recheck_due_ = NextRecheck(clock_.Now());
    }
    if (!queued_.empty()) {
      pb::WatchBundlesResponse event = std::move(queued_.front());
      queued_.pop_front();
      return Sent(std::move(event));
    }
    if (snapshot_sent_ < snapshot_.size()) {
      pb::WatchBundlesResponse event;
      event.set_type(pb::WATCH_EVENT_TYPE_ADDED);
      *event.mutable_bundle() = *snapshot_[snapshot_sent_];
      snapshot_[snapshot_sent_++].reset();  // let go of versions as they are sent
      return Sent(std::move(event));
    }
    if (synced_due_) {
      synced_due_ = false;
      snapshot_.clear();
      return Sent(Marker(pb::WATCH_EVENT_TYPE_SYNCED, /*with_revision=*/true));
    }

    const absl::Time heartbeat_due = last_sent_ + options_.heartbeat_interval;
    absl::StatusOr<std::vector<BundleChange>> changes = cache_.changes().ChangesSince(
        cursor_, options_.max_changes_per_read, std::min({deadline, heartbeat_due, recheck_due_}));
    if (absl::IsOutOfRange(changes.status())) {
      StartSnapshot(/*resync=*/true);  // fell behind the log
      continue;
    }
    if (!changes.ok()) return changes.status();
    for (const BundleChange& change : *changes) {
      cursor_ = change.revision;
      QueueChange(change);
    }
    if (!changes->empty()) continue;

    const absl::Time now = clock_.Now();
    if (now >= recheck_due_) continue;
    if (now >= heartbeat_due) return Sent(Marker(pb::WATCH_EVENT_TYPE_HEARTBEAT, /*with_revision=*/true));
    if (now >= deadline) return std::nullopt;
  }
}

}  // namespace werf::gateway
