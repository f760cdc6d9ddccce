// Delivers each bundle's deploy outcomes to its notification sinks, on its own
// threads, so a slow or dead receiver never delays a reconcile, a deploy or another
// sink.
//
// The status is the queue and the dedup record (libs/notify/outcome.h): outcomes are
// derived from status.history and the Drifted/Stalled conditions with stable ids, and
// after each delivery the sink's record (status.notifications[], the ids it was sent)
// is written back with a merge patch of the status. A controller that restarts or
// fails over reads the records and sends only what is missing: at least once, and
// once in the normal case (a process killed between a receiver's 200 and the record's
// write sends that one again; a graceful stop finishes the delivery in flight and
// writes its record first).
//
// Failures are retried with exponential backoff and jitter, or after the receiver's
// Retry-After; every attempt is recorded (consecutiveFailures, lastResult with the
// secrets redacted), from which Decide derives the NotificationsDelivered condition.
// Outcomes that leave the bounded history before a dead receiver came back are
// counted as dropped (status and metrics), never silently lost.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_NOTIFIER_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_NOTIFIER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/api/bundle_status.h"
#include "libs/common/clock.h"
#include "libs/http/http_client.h"
#include "libs/kube/rest_client.h"
#include "libs/notify/delivery.h"
#include "libs/notify/outcome.h"
#include "libs/notify/sink.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::controller {

struct NotifierOptions {
  int threads = 2;
  // Retry delay after the n-th failure in a row: base * 2^(n-1), capped; half of it jittered.
  absl::Duration retry_base = absl::Seconds(5);
  absl::Duration retry_max = absl::Minutes(5);
  // A receiver's Retry-After is honoured up to this.
  absl::Duration max_retry_after = absl::Minutes(15);
  // When a sink is first seen, outcomes older than this are taken as already known
  // (adding a sink to a bundle with history does not replay the history).
  absl::Duration backlog_age = absl::Minutes(5);
  notify::DeliveryOptions delivery{};
  // Decides when retries are due, the backlog age and the records' times; defaults
  // to common::RealClock(). Must outlive the notifier.
  common::Clock* clock = nullptr;
};

// The bundle manifest's annotations (for GitHub commit statuses): the repository as the
// bundle tracks it and the manifest's digest (or tag when the digest is unknown).
using ManifestAnnotationsReader = std::function<absl::StatusOr<std::map<std::string, std::string>>(
    const ::werf::operator_::v1::TrackRepository& track, const std::string& reference)>;

class Notifier {
 public:
  Notifier(std::shared_ptr<kube::RestClient> client, std::shared_ptr<http::HttpClient> transport,
           ManifestAnnotationsReader annotations, NotifierOptions options);
  ~Notifier();

  void Start();
  // Finishes the deliveries in flight (and writes their records), then returns.
  void Stop();

  // After each reconcile of a bundle: its sinks (empty: none), its status as written,
  // and the repository it tracks (for manifest annotations; nullopt: unknown).
  void Update(const notify::BundleRef& bundle, std::vector<notify::SinkSpec> sinks, const api::BundleStatus& status,
              std::optional<::werf::operator_::v1::TrackRepository> track);
  void Forget(const std::string& bundle_key);

  // Outcomes waiting over all bundles and sinks (tests, metrics).
  int64_t Pending() const;

 private:
  struct SinkState {
    notify::SinkSpec spec;
    api::NotificationRecord record;
    absl::Time next_attempt = absl::InfinitePast();
    bool in_flight = false;
    bool record_dirty = false;
  };
  struct BundleState {
    notify::BundleRef ref;
    std::vector<notify::Outcome> outcomes;  // newest first
    std::optional<::werf::operator_::v1::TrackRepository> track;
    std::map<std::string, SinkState> sinks;  // by name
    bool writing = false;
    int64_t pending = 0;  // outcomes its sinks want and have not been sent
  };
  struct Work {
    std::string bundle_key;
    std::string sink;
  };

  void RunWorker();
  // The next (bundle, sink) due with something to send or a record to write; marks it in flight.
  std::optional<Work> NextDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<absl::Time> EarliestDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The oldest outcome `state` wants and has not been sent.
  static const notify::Outcome* NextOutcome(const BundleState& bundle, const SinkState& state);
  void Attempt(const Work& work);
  notify::DeliveryResult DeliverOne(const notify::BundleRef& ref, const notify::SinkSpec& sink,
                                    const notify::Outcome& outcome,
                                    const std::optional<::werf::operator_::v1::TrackRepository>& track);
  // Writes the bundle's records (status.notifications) if any changed.
  void WriteRecords(const std::string& bundle_key);
  absl::Duration RetryDelay(int failures) const;
  // Recounts the bundle's pending outcomes and whether it has work (active_).
  void Refresh(const std::string& key, BundleState& bundle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Drop(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<kube::RestClient> client_;
  const std::shared_ptr<http::HttpClient> transport_;
  const ManifestAnnotationsReader annotations_;
  const NotifierOptions options_;
  common::Clock& clock_;

  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, BundleState> bundles_ ABSL_GUARDED_BY(mu_);
  // Bundles with something to send, a record to write or a delivery in flight: the
  // workers look only at these, so idle bundles cost nothing however many there are.
  std::set<std::string> active_ ABSL_GUARDED_BY(mu_);
  int64_t pending_total_ ABSL_GUARDED_BY(mu_) = 0;
  // Annotations by manifest digest (immutable, so never stale); bounded.
  std::map<std::string, std::map<std::string, std::string>> annotations_cache_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_NOTIFIER_H_
