// One tracked repository: polls it with the registry client and turns what it
// sees into change reports. Nothing is reported when nothing changed; after a new
// assignment the whole tag list and the watched digests are reported once, since
// the hub (maybe a controller that just restarted) knows nothing yet.
#ifndef WERF_OPERATOR_SERVICES_POLLER_REPOSITORY_TRACKER_H_
#define WERF_OPERATOR_SERVICES_POLLER_REPOSITORY_TRACKER_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "libs/oci/registry_access.h"
#include "libs/oci/registry_client.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::poller {

namespace pb = ::werf::operator_::v1;

class RepositoryTracker {
 public:
  // `failure_backoff` is the first retry delay after a failed poll; it doubles per
  // failure up to `failure_backoff_max` (never beyond the poll interval).
  explicit RepositoryTracker(pb::TrackRepository assignment,
                             absl::Duration failure_backoff = absl::Seconds(30),
                             absl::Duration failure_backoff_max = absl::Minutes(8));

  // A new or changed assignment from the hub. Returns true when it asks for a
  // digest not known yet (a newly watched tag), which is worth a poll right away.
  bool Update(const pb::TrackRepository& assignment);
  // The hub assigned this repository again (new stream): report everything once more.
  void ForceFullReport() { full_report_ = true; }

  // Polls once with `access` (credentials read by the caller) and returns the
  // observations to send. `access_error` set means the credentials could not be
  // read: that is reported as a failure without touching the registry.
  std::vector<pb::RepositoryObservation> Poll(oci::RegistryClient& client,
                                              const oci::RegistryAccess& access,
                                              const absl::Status& access_error, absl::Time now);

  // When the next poll is due, with jitter (±10 %) and failure backoff (30 s
  // doubling to 8 min) applied; a registry's Retry-After pushes it later still.
  absl::Time NextPoll(absl::Time now, absl::BitGenRef random) const;

  const pb::TrackRepository& assignment() const { return assignment_; }
  int tag_count() const { return static_cast<int>(tags_.size()); }
  absl::Time last_poll() const { return last_poll_; }
  uint32_t consecutive_failures() const { return consecutive_failures_; }
  // The last poll was refused or held back by the registry's rate limit.
  bool throttled() const { return throttled_; }
  const std::string& last_error() const { return last_error_; }

 private:
  pb::RepositoryObservation Observation(absl::Time now) const;
  void Fail(const absl::Status& error, absl::Time now,
            std::vector<pb::RepositoryObservation>& out);
  // A rate limit is the registry working as designed, not failing: it is
  // reported once per pause and counts toward no failure budget.
  void Throttle(const absl::Status& error, absl::Time resumes_at, absl::Time now,
                std::vector<pb::RepositoryObservation>& out);

  pb::TrackRepository assignment_;
  absl::Duration failure_backoff_;
  absl::Duration failure_backoff_max_;
  bool full_report_ = true;
  std::string etag_;
  std::vector<std::string> tags_;                 // as last listed
  std::map<std::string, std::string> digests_;    // watched tag -> digest reported
  uint32_t consecutive_failures_ = 0;
  int last_failure_reason_ = -1;
  std::string last_error_;
  absl::Time last_poll_ = absl::InfinitePast();
  std::optional<absl::Time> retry_after_;
  bool throttled_ = false;
  absl::Time reported_resume_ = absl::InfinitePast();
};

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_REPOSITORY_TRACKER_H_
