#include "libs/hub/hub_service.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/hub/rendezvous.h"

namespace werf::hub {

struct HubServiceImpl::Worker {
  std::string id;
  pb::WorkerKind kind = pb::WORKER_KIND_UNSPECIFIED;
  grpc::ServerContext* context = nullptr;
  uint64_t next_sequence = 1;
  // On the hub's clock; both set when the stream is accepted.
  absl::Time last_received = absl::InfinitePast();
  absl::Time last_sent = absl::InfinitePast();
  // Written by the hub under mu_, drained by the connection's writer thread, so
  // a slow worker never blocks the hub or the other workers.
  std::deque<pb::ConnectResponse> outbox;
  bool closed = false;
};

namespace {

std::string KindName(pb::WorkerKind kind) {
  return kind == pb::WORKER_KIND_POLLER ? "poller" : "converger";
}

}  // namespace

HubServiceImpl::HubServiceImpl(Options options, HubCallbacks callbacks, common::Clock& clock)
    : options_(std::move(options)), callbacks_(std::move(callbacks)), clock_(clock) {
  ticker_ = std::thread([this] { RunTicker(); });
}

HubServiceImpl::~HubServiceImpl() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  ticker_.join();
}

void HubServiceImpl::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  serving_ = serving;
  if (!serving) {
    for (auto& [id, worker] : workers_) worker->context->TryCancel();
  }
}

bool HubServiceImpl::SendLocked(Worker& worker, pb::ConnectResponse message, uint64_t* sequence) {
  if (worker.closed) return false;
  message.set_sequence(worker.next_sequence++);
  if (sequence != nullptr) *sequence = message.sequence();
  worker.outbox.push_back(std::move(message));
  worker.last_sent = clock_.Now();
  return true;
}

grpc::Status HubServiceImpl::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<pb::ConnectResponse, pb::ConnectRequest>* stream) {
  pb::ConnectRequest first;
  if (!stream->Read(&first)) return grpc::Status::OK;
  if (!first.has_hello() || first.hello().worker_id().empty() ||
      first.hello().kind() == pb::WORKER_KIND_UNSPECIFIED) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first message on a hub stream must be a WorkerHello with worker_id "
                        "and kind");
  }
  auto worker = std::make_shared<Worker>();
  worker->id = first.hello().worker_id();
  worker->kind = first.hello().kind();
  worker->context = context;
  {
    absl::MutexLock lock(&mu_);
    worker->last_received = clock_.Now();
    worker->last_sent = worker->last_received;
    if (!serving_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "this controller is not the leader; retry (the Service routes to the "
                          "leader once it is ready)");
    }
    if (auto old = workers_.find(worker->id); old != workers_.end()) {
      // A reconnect overtook its own old stream. The worker starts the new stream
      // with nothing, so everything the old stream held is placed again.
      old->second->context->TryCancel();
      old->second->closed = true;
      std::erase_if(owners_, [&](const auto& owner) { return owner.second == worker->id; });
      for (auto& [name, pending] : converges_) {
        if (pending.stream == old->second.get()) pending.stream = nullptr;
      }
    }
    workers_[worker->id] = worker;
    pb::ConnectResponse welcome;
    welcome.mutable_welcome()->set_controller_id(options_.controller_id);
    *welcome.mutable_welcome()->mutable_heartbeat_interval() =
        google::protobuf::util::TimeUtil::MillisecondsToDuration(
            absl::ToInt64Milliseconds(options_.heartbeat_interval));
    SendLocked(*worker, std::move(welcome));
    // Pauses first, so the assignments that follow are not polled into a rate limit.
    if (worker->kind == pb::WORKER_KIND_POLLER) SendPausesLocked(*worker, clock_.Now());
    RebalanceLocked();
    DispatchConvergesLocked(clock_.Now());
  }
  common::LogInfo("worker connected", {{"worker", worker->id}, {"kind", KindName(worker->kind)},
                                       {"version", first.hello().version()}});
  if (callbacks_.on_workers_changed) callbacks_.on_workers_changed(worker->kind, true);

  std::thread writer([this, worker, stream] {
    while (true) {
      pb::ConnectResponse next;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Worker* w) { return w->closed || !w->outbox.empty(); }, worker.get()));
        if (worker->outbox.empty()) return;
        next = std::move(worker->outbox.front());
        worker->outbox.pop_front();
      }
      if (!stream->Write(next)) {
        worker->context->TryCancel();
        return;
      }
    }
  });

  pb::ConnectRequest message;
  while (stream->Read(&message)) {
    {
      absl::MutexLock lock(&mu_);
      worker->last_received = clock_.Now();
    }
    HandleMessage(*worker, message);
  }

  {
    absl::MutexLock lock(&mu_);
    worker->closed = true;
    if (auto it = workers_.find(worker->id); it != workers_.end() && it->second == worker) {
      workers_.erase(it);
    }
    // Converges this stream held go to another converger; owners are recomputed.
    for (auto& [name, pending] : converges_) {
      if (pending.stream == worker.get()) {
        pending.stream = nullptr;
        pending.acknowledged = false;
      }
    }
    RebalanceLocked();
    DispatchConvergesLocked(clock_.Now());
  }
  writer.join();
  common::LogInfo("worker disconnected", {{"worker", worker->id}, {"kind", KindName(worker->kind)}});
  if (callbacks_.on_workers_changed) callbacks_.on_workers_changed(worker->kind, false);
  return grpc::Status::OK;
}

HubServiceImpl::Worker* HubServiceImpl::LiveWorkerLocked(const std::string& id) {
  auto it = workers_.find(id);
  return it == workers_.end() || it->second->closed ? nullptr : it->second.get();
}

void HubServiceImpl::HandleMessage(const Worker& worker, const pb::ConnectRequest& message) {
  switch (message.message_case()) {
    case pb::ConnectRequest::kRepository: {
      // Only the current owner's live stream counts: a poller that just lost the key
      // (or a stream its own reconnect replaced) may still finish a poll and report it.
      {
        absl::MutexLock lock(&mu_);
        auto owner = owners_.find(message.repository().key());
        if (owner == owners_.end() || LiveWorkerLocked(owner->second) != &worker) return;
      }
      if (callbacks_.on_repository) callbacks_.on_repository(message.repository());
      return;
    }
    case pb::ConnectRequest::kJob:
      if (callbacks_.on_job) callbacks_.on_job(message.job());
      return;
    case pb::ConnectRequest::kAck: {
      pb::ConvergeRequest rejected;
      std::string why;
      {
        absl::MutexLock lock(&mu_);
        for (auto it = converges_.begin(); it != converges_.end(); ++it) {
          PendingConverge& pending = it->second;
          if (pending.stream != &worker || pending.sequence != message.ack().sequence()) {
            continue;
          }
          if (message.ack().accepted()) {
            pending.acknowledged = true;
          } else {
            rejected = pending.request;
            why = message.ack().message();
            converges_.erase(it);
          }
          break;
        }
      }
      if (!rejected.job_name().empty() && callbacks_.on_rejected) {
        callbacks_.on_rejected(rejected, why);
      }
      return;
    }
    case pb::ConnectRequest::kThrottle: {
      absl::MutexLock lock(&mu_);
      SharePauseLocked(worker, message.throttle(), clock_.Now());
      return;
    }
    case pb::ConnectRequest::kRepositoryEvent:
      if (worker.kind == pb::WORKER_KIND_POLLER && callbacks_.on_repository_event) {
        callbacks_.on_repository_event(message.repository_event());
      }
      return;
    case pb::ConnectRequest::kHeartbeat:
    case pb::ConnectRequest::kHello:
    case pb::ConnectRequest::MESSAGE_NOT_SET:
      return;
  }
}

void HubServiceImpl::SharePauseLocked(const Worker& from, const pb::RegistryThrottle& throttle, absl::Time now) {
  using google::protobuf::util::TimeUtil;
  if (throttle.registry().empty()) return;
  // A pause is bounded like a Retry-After: one odd report cannot stop polling for days.
  const absl::Time until =
      std::min(absl::FromUnixMillis(TimeUtil::TimestampToMilliseconds(throttle.not_before())),
               now + kMaxRegistryPause);
  if (until <= now) return;
  std::erase_if(pauses_, [now](const auto& entry) { return entry.second.until <= now; });
  auto [it, inserted] = pauses_.try_emplace(throttle.registry());
  if (!inserted && until <= it->second.until) return;  // known already
  it->second.until = until;
  it->second.message = throttle;
  *it->second.message.mutable_not_before() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(until));
  common::LogInfo("registry pause shared with every poller",
                  {{"registry", throttle.registry()},
                   {"until", TimeUtil::ToString(it->second.message.not_before())},
                   {"reason", throttle.reason()},
                   {"reported_by", from.id}});
  for (auto& [id, worker] : workers_) {
    if (worker->kind != pb::WORKER_KIND_POLLER || worker.get() == &from) continue;
    pb::ConnectResponse message;
    *message.mutable_throttle() = it->second.message;
    SendLocked(*worker, std::move(message));
  }
}

void HubServiceImpl::SendPausesLocked(Worker& worker, absl::Time now) {
  for (const auto& [registry, pause] : pauses_) {
    if (pause.until <= now) continue;
    pb::ConnectResponse message;
    *message.mutable_throttle() = pause.message;
    SendLocked(worker, std::move(message));
  }
}

void HubServiceImpl::SetRepositories(std::map<std::string, pb::TrackRepository> repositories) {
  std::map<std::string, std::optional<pb::TrackRepository>> changes;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, track] : repositories_) {
      if (!repositories.contains(key)) changes.emplace(key, std::nullopt);
    }
  }
  for (auto& [key, track] : repositories) changes.emplace(key, std::move(track));
  UpdateRepositories(std::move(changes));
}

void HubServiceImpl::UpdateRepositories(std::map<std::string, std::optional<pb::TrackRepository>> changes) {
  absl::MutexLock lock(&mu_);
  const std::vector<std::string> pollers = PollersLocked();
  for (auto& [key, track] : changes) {
    auto owner = owners_.find(key);
    Worker* owner_worker = nullptr;
    if (owner != owners_.end()) {
      if (auto worker = workers_.find(owner->second); worker != workers_.end()) owner_worker = worker->second.get();
    }
    if (!track.has_value()) {
      repositories_.erase(key);
      if (owner_worker != nullptr) {
        pb::ConnectResponse untrack;
        untrack.mutable_untrack()->set_key(key);
        SendLocked(*owner_worker, std::move(untrack));
      }
      if (owner != owners_.end()) owners_.erase(owner);
      continue;
    }
    auto [it, added] = repositories_.try_emplace(key, *track);
    if (!added) {
      if (it->second.SerializeAsString() == track->SerializeAsString()) continue;
      it->second = *std::move(track);
    }
    if (owner_worker != nullptr) {
      // Same owner, new settings (interval, watched tags): send the update.
      pb::ConnectResponse update;
      *update.mutable_track() = it->second;
      SendLocked(*owner_worker, std::move(update));
      continue;
    }
    AssignLocked(key, pollers);
  }
}

void HubServiceImpl::PollNow(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto owner = owners_.find(key);
  auto repository = repositories_.find(key);
  if (owner == owners_.end() || repository == repositories_.end()) return;
  auto worker = workers_.find(owner->second);
  if (worker == workers_.end()) return;
  pb::ConnectResponse track;
  *track.mutable_track() = repository->second;
  track.mutable_track()->set_poll_now(true);
  SendLocked(*worker->second, std::move(track));
}

std::vector<std::string> HubServiceImpl::PollersLocked() const {
  std::vector<std::string> pollers;
  for (const auto& [id, worker] : workers_) {
    if (worker->kind == pb::WORKER_KIND_POLLER && !worker->closed) pollers.push_back(id);
  }
  return pollers;
}

void HubServiceImpl::AssignLocked(const std::string& key, const std::vector<std::string>& pollers) {
  const std::optional<std::string> owner = RendezvousOwner(key, pollers);
  auto current = owners_.find(key);
  const bool current_alive = current != owners_.end() && workers_.contains(current->second);
  if (current_alive && owner.has_value() && current->second == *owner) return;
  if (current_alive) {
    pb::ConnectResponse untrack;
    untrack.mutable_untrack()->set_key(key);
    SendLocked(*workers_[current->second], std::move(untrack));
  }
  if (!owner.has_value()) {
    owners_.erase(key);
    return;
  }
  pb::ConnectResponse assign;
  *assign.mutable_track() = repositories_.at(key);
  SendLocked(*workers_[*owner], std::move(assign));
  owners_[key] = *owner;
}

// After a poller came or went: every key's owner is recomputed (rendezvous hashing moves
// only the keys that the change concerns, but finding them means hashing each key).
void HubServiceImpl::RebalanceLocked() {
  const std::vector<std::string> pollers = PollersLocked();
  // Untrack what is no longer wanted.
  for (auto it = owners_.begin(); it != owners_.end();) {
    if (repositories_.contains(it->first)) {
      ++it;
      continue;
    }
    if (auto worker = workers_.find(it->second); worker != workers_.end()) {
      pb::ConnectResponse untrack;
      untrack.mutable_untrack()->set_key(it->first);
      SendLocked(*worker->second, std::move(untrack));
    }
    it = owners_.erase(it);
  }
  for (const auto& [key, track] : repositories_) AssignLocked(key, pollers);
}

void HubServiceImpl::SubmitConverge(const pb::ConvergeRequest& request) {
  absl::MutexLock lock(&mu_);
  if (converges_.contains(request.job_name())) return;
  converges_[request.job_name()].request = request;
  DispatchConvergesLocked(clock_.Now());
}

void HubServiceImpl::ForgetConverge(const std::string& job_name) {
  absl::MutexLock lock(&mu_);
  converges_.erase(job_name);
}

void HubServiceImpl::ForgetConvergesOfBundle(const std::string& bundle_uid) {
  absl::MutexLock lock(&mu_);
  std::erase_if(converges_,
                [&](const auto& entry) { return entry.second.request.bundle().uid() == bundle_uid; });
}

void HubServiceImpl::DispatchConvergesLocked(absl::Time now) {
  std::map<std::string, int> load;
  for (const auto& [id, worker] : workers_) {
    if (worker->kind == pb::WORKER_KIND_CONVERGER && !worker->closed) load[id] = 0;
  }
  if (load.empty()) return;
  for (const auto& [name, pending] : converges_) {
    if (pending.stream != nullptr && !pending.stream->closed) ++load[pending.stream->id];
  }
  for (auto& [name, pending] : converges_) {
    const bool unsent = pending.stream == nullptr || pending.stream->closed;
    const bool ack_overdue = !pending.acknowledged && now - pending.sent_at > options_.ack_timeout;
    if (!unsent && !ack_overdue) continue;
    // Least loaded converger; ties by id so every run places the same way.
    std::string target;
    for (const auto& [id, count] : load) {
      if (target.empty() || count < load[target]) target = id;
    }
    pb::ConnectResponse message;
    *message.mutable_converge() = pending.request;
    uint64_t sequence = 0;
    Worker& stream = *workers_[target];
    if (!SendLocked(stream, std::move(message), &sequence)) continue;
    pending.stream = &stream;
    pending.sequence = sequence;
    pending.sent_at = now;
    pending.acknowledged = false;
    ++load[target];
  }
}

void HubServiceImpl::RunTicker() {
  while (true) {
    absl::MutexLock lock(&mu_);
    // A real second between ticks whatever clock_ is: a fake clock's time is read,
    // not waited for.
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
    if (stopping_) return;
    const absl::Time now = clock_.Now();
    for (auto& [id, worker] : workers_) {
      if (now - worker->last_received > 3 * options_.heartbeat_interval) {
        common::LogWarning("worker silent for three heartbeats; closing its stream",
                           {{"worker", id}});
        worker->context->TryCancel();
        continue;
      }
      if (now - worker->last_sent >= options_.heartbeat_interval) {
        pb::ConnectResponse heartbeat;
        *heartbeat.mutable_heartbeat()->mutable_sent_at() =
            google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(now));
        SendLocked(*worker, std::move(heartbeat));
      }
    }
    DispatchConvergesLocked(now);
  }
}

int HubServiceImpl::ConnectedWorkers(pb::WorkerKind kind) const {
  absl::MutexLock lock(&mu_);
  int count = 0;
  for (const auto& [id, worker] : workers_) count += worker->kind == kind ? 1 : 0;
  return count;
}

std::string HubServiceImpl::OwnerOf(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto owner = owners_.find(key);
  return owner == owners_.end() ? "" : owner->second;
}

}  // namespace werf::hub
