#include "services/poller/poller.h"

#include <utility>

#include "absl/random/random.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "libs/oci/reference.h"
#include "services/poller/metrics.h"

namespace werf::poller {

using google::protobuf::util::TimeUtil;

Poller::Poller(PollerOptions options, std::unique_ptr<hub::RegistryAccessReader> access_reader,
               std::unique_ptr<oci::RegistryClient> registry)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()),
      access_reader_(std::move(access_reader)),
      registry_(std::move(registry)) {
  registry_->SetPauseListener([this](const oci::RegistryPause& pause) { SharePause(pause); });
}

Poller::~Poller() { Stop(); }

absl::Status Poller::Start() {
  hub::HubWorkerOptions hub_options;
  hub_options.controller_address = options_.controller_address;
  hub_options.kind = pb::WORKER_KIND_POLLER;
  hub_options.version = options_.version;
  hub_options.clock = &clock_;
  ASSIGN_OR_RETURN(hub_, hub::HubWorker::Create(
                             std::move(hub_options),
                             {.on_connected = [this](hub::StreamId, const pb::HubWelcome&) { OnConnected(); },
                              .on_message = [this](hub::StreamId, const pb::ConnectResponse& m) { OnMessage(m); },
                              .on_disconnected = [](hub::StreamId, const absl::Status&) {}}));
  for (int i = 0; i < std::max(1, options_.max_concurrent_polls); ++i) {
    threads_.emplace_back([this] { RunPollLoop(); });
  }
  hub_->Start();
  return absl::OkStatus();
}

void Poller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.SignalAll();
  }
  if (hub_ != nullptr) hub_->Stop();
  for (std::thread& thread : threads_) thread.join();
}

void Poller::OnConnected() {
  // A new stream: the hub re-sends every assignment this poller holds, so what we
  // had is dropped rather than polled for nobody.
  absl::MutexLock lock(&mu_);
  entries_.clear();
  schedule_.clear();
  PollerMetrics().repositories.Set(0);
}

void Poller::OnMessage(const pb::ConnectResponse& message) {
  if (message.has_track()) Track(message.track());
  if (message.has_untrack()) Untrack(message.untrack().key());
  if (message.has_throttle()) {
    const pb::RegistryThrottle& throttle = message.throttle();
    registry_->Pause(throttle.registry(),
                     absl::FromUnixMillis(TimeUtil::TimestampToMilliseconds(throttle.not_before())));
    common::LogInfo("registry paused by the hub",
                    {{"registry", throttle.registry()},
                     {"until", TimeUtil::ToString(throttle.not_before())},
                     {"reason", throttle.reason()}});
  }
}

absl::Status Poller::ForwardEvent(const pb::RepositoryEvent& event) {
  if (hub_ == nullptr) return absl::UnavailableError("the poller has not started");
  pb::ConnectRequest message;
  *message.mutable_repository_event() = event;
  return hub_->Send(std::move(message));
}

void Poller::SharePause(const oci::RegistryPause& pause) {
  common::LogInfo("registry asked for a pause",
                  {{"registry", pause.registry},
                   {"until", absl::FormatTime(absl::RFC3339_sec, pause.until, absl::UTCTimeZone())},
                   {"reason", pause.reason}});
  if (hub_ == nullptr) return;
  pb::ConnectRequest message;
  pb::RegistryThrottle* throttle = message.mutable_throttle();
  throttle->set_registry(pause.registry);
  *throttle->mutable_not_before() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(pause.until));
  throttle->set_reason(pause.reason);
  // Not sent (no stream): the other pollers learn of it from their own 429 instead.
  if (absl::Status sent = hub_->Send(std::move(message)); !sent.ok()) {
    common::LogWarning("cannot tell the hub of a registry pause",
                       {{"registry", pause.registry}, {"error", sent.ToString()}});
  }
}

void Poller::ScheduleLocked(const std::string& key, Entry& entry, absl::Time when) {
  schedule_.erase({entry.next_poll, key});
  entry.next_poll = when;
  if (!entry.in_flight) {
    schedule_.insert({when, key});
    wake_.Signal();  // any idle poll thread will do
  }
}

void Poller::Track(const pb::TrackRepository& track) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(track.key());
  Entry& entry = it->second;
  ++entry.generation;
  if (inserted) {
    entry.tracker = std::make_unique<RepositoryTracker>(track, options_.failure_backoff,
                                                        options_.failure_backoff_max);
    ScheduleLocked(track.key(), entry, clock_.Now());
    common::LogDebug("repository assigned", {{"repository", track.repository()}, {"key", track.key()}});
  } else if (entry.in_flight) {
    entry.pending_update = track;  // applied when the poll in flight returns
  } else {
    const bool new_digest_wanted = entry.tracker->Update(track);
    absl::BitGen random;
    ScheduleLocked(track.key(), entry,
                   track.poll_now() || new_digest_wanted
                       ? clock_.Now()
                       : entry.tracker->NextPoll(clock_.Now(), random));
  }
  PollerMetrics().repositories.Set(static_cast<double>(entries_.size()));
}

void Poller::Untrack(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  schedule_.erase({it->second.next_poll, key});
  entries_.erase(it);  // a poll in flight finds it gone and reports nothing
  access_reader_->Forget(key);
  PollerMetrics().repositories.Set(static_cast<double>(entries_.size()));
  common::LogDebug("repository unassigned", {{"key", key}});
}

common::TokenBucket& Poller::LimiterFor(const std::string& repository) {
  absl::StatusOr<oci::RepositoryRef> ref = oci::RepositoryRef::Parse(repository);
  const std::string host = ref.ok() ? ref->registry() : repository;
  absl::MutexLock lock(&mu_);
  std::unique_ptr<common::TokenBucket>& limiter = limiters_[host];
  if (limiter == nullptr) {
    limiter = std::make_unique<common::TokenBucket>(options_.registry_qps, options_.registry_burst);
  }
  return *limiter;
}

void Poller::RunPollLoop() {
  absl::BitGen random;
  while (true) {
    std::string key;
    uint64_t generation = 0;
    // While in flight the tracker belongs to this thread; the entry keeps its place.
    std::unique_ptr<RepositoryTracker> tracker;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stopping_) return;
        const absl::Time now = clock_.Now();
        if (!schedule_.empty() && schedule_.begin()->first <= now) break;
        const absl::Time wake = schedule_.empty() ? now + absl::Seconds(1) : schedule_.begin()->first;
        // Woken early by a stop or by a newly scheduled poll (wake_).
        clock_.WaitWithDeadline(&mu_, &wake_, std::min(wake, now + absl::Seconds(1)));
      }
      key = schedule_.begin()->second;
      schedule_.erase(schedule_.begin());
      Entry& entry = entries_.at(key);
      entry.in_flight = true;
      tracker = std::move(entry.tracker);
      generation = entry.generation;
    }

    const pb::TrackRepository& track = tracker->assignment();
    const absl::Duration wait = LimiterFor(track.repository()).Reserve(clock_.Now());
    if (wait > absl::ZeroDuration()) {
      PollerMetrics().budget_waits.Increment();
      clock_.SleepFor(wait);
    }
    const absl::StatusOr<oci::RegistryAccess> access = access_reader_->Read(track);
    std::vector<pb::RepositoryObservation> observations = tracker->Poll(
        *registry_, access.ok() ? *access : oci::RegistryAccess{}, access.status(), clock_.Now());
    PollerMetrics().Poll(tracker->throttled()                    ? "throttled"
                         : tracker->consecutive_failures() == 0 ? "success"
                                                                : "failure");

    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(key);
      // Unassigned while polling, or assigned afresh on a new stream: report nothing.
      if (it == entries_.end() || it->second.tracker != nullptr) continue;
      Entry& entry = it->second;
      if (entry.generation != generation && entry.pending_update.has_value()) {
        if (tracker->Update(*entry.pending_update) || entry.pending_update->poll_now()) {
          entry.next_poll = absl::InfinitePast();
        }
        entry.pending_update.reset();
      }
      entry.tracker = std::move(tracker);
      entry.in_flight = false;
      ScheduleLocked(key, entry,
                     entry.next_poll == absl::InfinitePast()
                         ? clock_.Now()
                         : entry.tracker->NextPoll(clock_.Now(), random));
    }
    for (pb::RepositoryObservation& observation : observations) {
      PollerMetrics().Change(observation.change_case());
      pb::ConnectRequest message;
      *message.mutable_repository() = std::move(observation);
      if (absl::Status sent = hub_->Send(std::move(message)); !sent.ok()) {
        common::LogWarning("cannot report to the hub", {{"key", key}, {"error", sent.ToString()}});
      }
    }
  }
}

pb::ListAssignmentsResponse Poller::Snapshot() const {
  pb::ListAssignmentsResponse response;
  response.set_connected(connected());
  absl::MutexLock lock(&mu_);
  for (const auto& [key, entry] : entries_) {
    pb::Assignment* assignment = response.add_assignments();
    assignment->set_key(key);
    if (entry.tracker == nullptr) {  // being polled right now
      assignment->set_repository(key);
      continue;
    }
    const RepositoryTracker& tracker = *entry.tracker;
    assignment->set_repository(tracker.assignment().repository());
    assignment->set_tag_count(tracker.tag_count());
    if (tracker.last_poll() != absl::InfinitePast()) {
      *assignment->mutable_last_poll_time() =
          TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(tracker.last_poll()));
    }
    if (entry.next_poll != absl::InfinitePast()) {
      *assignment->mutable_next_poll_time() =
          TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(entry.next_poll));
    }
    assignment->set_consecutive_failures(tracker.consecutive_failures());
    assignment->set_last_error(tracker.last_error());
  }
  return response;
}

}  // namespace werf::poller
