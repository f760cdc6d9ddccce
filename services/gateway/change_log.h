// The gateway's change log: every change to the bundle cache gets the next revision
// and is kept in a bounded ring that every watch reads from its own cursor.
//
// This is the watch fan-out. One writer (the informer) appends and never waits for
// readers; each watch follows at its own pace. A watch that falls further behind than
// the ring holds finds its cursor gone (OutOfRange) and resyncs from a snapshot, so a
// slow client costs itself a resync and costs nobody else anything. The same cursor
// makes watches resumable: a client that reconnects with the revision it saw last
// gets exactly the changes it missed while they are still in the ring.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_CHANGE_LOG_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_CHANGE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "werf/operator/v1/bundle.pb.h"

namespace werf::gateway {

namespace pb = ::werf::operator_::v1;

using BundlePtr = std::shared_ptr<const pb::Bundle>;

// One change to one bundle.
struct BundleChange {
  uint64_t revision = 0;
  BundlePtr before;  // null when the bundle is new
  BundlePtr after;   // null when the bundle was deleted
};

// A position in one process's change log. Revisions of another process (another
// replica, or this one before a restart) have another epoch and cannot be resumed.
struct Revision {
  uint32_t epoch = 0;
  uint64_t value = 0;
};

// "<value>-<epoch as 8 hex digits>", e.g. "1042-9f3c1a2b". Clients treat it as opaque.
std::string FormatRevision(const Revision& revision);
// InvalidArgument naming the text when it is not a revision this gateway formats.
absl::StatusOr<Revision> ParseRevision(absl::string_view text);

class ChangeLog {
 public:
  // `epoch` tells this log's revisions from other processes'; 0 picks a random one.
  // ChangesSince's deadlines are on `clock`, which must outlive the log.
  explicit ChangeLog(size_t capacity, uint32_t epoch = 0,
                     common::Clock& clock = common::RealClock());

  ChangeLog(const ChangeLog&) = delete;
  ChangeLog& operator=(const ChangeLog&) = delete;

  uint32_t epoch() const { return epoch_; }
  // The clock ChangesSince's deadlines are on: readers take their deadlines from it, so
  // a test's fake clock and a real deadline never mix.
  common::Clock& clock() const { return clock_; }

  // Records a change and wakes every waiting reader. Returns its revision.
  uint64_t Append(BundlePtr before, BundlePtr after) ABSL_LOCKS_EXCLUDED(mu_);

  // The revision of the newest change (0 before the first).
  uint64_t last_revision() const ABSL_LOCKS_EXCLUDED(mu_);

  // Whether every change after `revision` is still held, i.e. a reader at `revision`
  // can continue without a snapshot.
  bool Covers(uint64_t revision) const ABSL_LOCKS_EXCLUDED(mu_);

  // Up to `max_changes` changes after `revision`, oldest first, waiting until
  // `deadline` (on clock()) for at least one; empty when none came by then.
  // OutOfRange: changes after `revision` have left the ring (the reader fell behind;
  // it must start again from a snapshot). Unavailable: the log was closed.
  absl::StatusOr<std::vector<BundleChange>> ChangesSince(uint64_t revision, size_t max_changes,
                                                         absl::Time deadline) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends every current and future ChangesSince with Unavailable (shutdown).
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool CoversLocked(uint64_t revision) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  const uint32_t epoch_;
  common::Clock& clock_;

  mutable absl::Mutex mu_;
  mutable absl::CondVar changed_;
  std::deque<BundleChange> changes_ ABSL_GUARDED_BY(mu_);
  uint64_t last_revision_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_CHANGE_LOG_H_
