// The controller's decision for one WerfBundle, as a pure function of what was
// observed: Decide(Observed) -> Decision. No I/O, no clock, no locks: every rule of
// the controller is here and unit-tested in decide_test.cc without an API server.
//
// Reconcile (reconcile.cc) gathers the Observed snapshot from caches, calls Decide,
// writes Decision::status, and only after that write succeeded applies the effects
// (track demand, converge request, Events) and drops the observations the decision
// consumed. A failed write loses nothing: the next attempt decides again from the
// same observations.
//
// The rules that make Job bookkeeping safe across replays and restarts:
// - every Job the controller asks for takes the next status.jobSequence, which is part
//   of its name and is recorded (status.activeJob) in the same write that decides it;
//   so redeploying an earlier (tag, digest, configuration) is a new Job, never the
//   adoption of an old one;
// - a Job result is merged only when it names status.activeJob, and the merge clears
//   activeJob in the same write: a result replayed after any restart names no active
//   Job and is ignored, so it is counted exactly once;
// - while activeJob is set and no converger has reported it to this controller, the
//   request is submitted again (Job names make that idempotent).
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_DECIDE_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_DECIDE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/api/bundle_status.h"
#include "libs/api/tenancy.h"
#include "services/controller/bundle_spec.h"
#include "services/controller/notifications.h"
#include "services/controller/tag_set.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::controller {

namespace pb = ::werf::operator_::v1;

// What the pollers last said about the bundle's repository (soft state).
struct RegistryFacts {
  bool tags_known = false;
  std::shared_ptr<const TagSet> tags = nullptr;  // shared by every bundle of the repository
  std::map<std::string, std::string> digests{};  // watched tag -> digest
  // Set while polls fail.
  std::optional<pb::PollFailed> failure{};
  // Failed polls in a row as the controller counted them (kept across a move of the
  // repository to another poller, whose own count starts again at 1).
  int consecutive_failures = 0;
  // Set while the registry rate-limits us; not a failure (see PollThrottled).
  std::optional<pb::PollThrottled> throttled{};
  // When a webhook last named the repository.
  std::optional<absl::Time> last_event_time{};
};

// What the cluster holds that the bundle refers to (from informer caches).
struct ClusterFacts {
  // A missing ServiceAccount, Secret, ConfigMap or Namespace, as a message naming it
  // and the fix; nullopt when everything is there.
  std::optional<std::string> missing_reference{};
  // Digest of the values content in valuesFrom order; an error when unreadable.
  absl::StatusOr<std::string> values_hash = std::string();
  // Annotations of the target Namespace (where tenancy grants live).
  std::map<std::string, std::string> target_namespace_annotations{};
  // RegistryAccess.secrets_version: the registry credentials and CA Secrets'
  // resourceVersions, "" without either.
  std::string registry_secrets_version{};
  // A keyed hash of those Secrets' type and content (never the content): equal for
  // bundles whose registry requests would be the same, "" without either Secret.
  std::string registry_access_identity{};
};

struct Refusal {
  std::string job_name;
  std::string message;
};

struct Observed {
  std::string key;  // "namespace/name"
  int64_t generation = 0;
  // metadata.deletionTimestamp is set.
  bool deleting = false;
  // The parsed spec, or why it is invalid ("spec.<field>: ...").
  absl::StatusOr<BundleSpec> spec = absl::UnknownError("not set");
  // metadata.annotations["werf.io/reconcile-requested-at"], "" when absent.
  std::string reconcile_requested_at{};
  api::BundleStatus status{};
  RegistryFacts registry{};
  ClusterFacts cluster{};
  // Finished Jobs of this bundle that a converger reported (any Job name: stale and
  // replayed ones included) and converges it refused.
  std::vector<pb::JobObservation> job_results{};
  std::vector<Refusal> refusals{};
  // A converger has reported status.activeJob to this controller (running or not),
  // so the request need not be submitted again.
  bool active_job_reported = false;
  // The bundle's notification sinks (NotificationsDelivered; the notifier sends).
  NotificationFacts notifications{};
  absl::Time now = absl::UnixEpoch();
};

struct DecideOptions {
  // Failed applies (or polls) in a row that make the phase Failed.
  int failures_before_failed = 5;
  // Retry delay after the n-th consecutive failure: base * 2^(n-1), capped.
  absl::Duration failure_backoff_base = absl::Seconds(30);
  absl::Duration failure_backoff_max = absl::Minutes(10);
  // How soon a bundle waiting on something outside the spec is looked at again, and
  // the delay before a refused converge is asked for again.
  absl::Duration recheck_interval = absl::Seconds(15);
  // How often a bundle with a Job in flight is looked at (to re-submit the request
  // when no converger has it).
  absl::Duration active_job_recheck = absl::Minutes(1);
  // Who may deploy where, as whom, with which image (libs/api/tenancy.h).
  api::TenancyPolicy tenancy{};
  // Floors on what a bundle may ask for: a poll or drift check every millisecond
  // would spend a registry's budget for every other bundle.
  absl::Duration min_poll_interval = absl::Minutes(1);
  absl::Duration min_drift_interval = absl::Minutes(1);
};

struct EventSpec {
  std::string type;  // "Normal" or "Warning"
  std::string reason;
  std::string message;

  bool operator==(const EventSpec&) const = default;
};

struct Decision {
  // The bundle is being deleted: remove its Jobs, forget its requests and soft
  // state, then its finalizer. Nothing else happens and the status is not written.
  bool finalize = false;
  api::BundleStatus status;
  std::vector<EventSpec> events;
  // The repository to poll for this bundle; nullopt: the bundle wants no polling.
  std::optional<pb::TrackRepository> track;
  bool poll_now = false;
  // A Job to request (new, or the active one again).
  std::optional<pb::ConvergeRequest> converge;
  bool converge_is_new = false;
  // Names of the observations in Observed::job_results / refusals that this decision
  // used or found stale; the caller drops them once the status is written.
  std::vector<std::string> consumed;
  // A drift correction succeeded (for metrics).
  bool drift_corrected = false;
  absl::Duration requeue_after = absl::ZeroDuration();
};

Decision Decide(const Observed& observed, const DecideOptions& options);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_DECIDE_H_
