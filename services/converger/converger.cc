#include "services/converger/converger.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "libs/hub/job_labels.h"
#include "libs/kube/api_error.h"
#include "libs/kube/object_store.h"
#include "libs/kube/resource.h"
#include "services/converger/request_policy.h"

namespace werf::converger {
namespace {

Converger::Decision Refuse(const pb::ConvergeRequest& request, std::string job_name, std::string message) {
  common::LogWarning("converge request refused", {{"bundle", request.bundle().name()},
                                                  {"namespace", request.bundle().namespace_()},
                                                  {"tag", request.tag()},
                                                  {"reason", message}});
  Converger::Decision decision;
  decision.ack.set_accepted(false);
  decision.ack.set_message(std::move(message));
  decision.job_name = std::move(job_name);
  return decision;
}

// OK when the WerfBundle of `bundle` exists with that uid and is not being deleted.
absl::Status BundleStillExists(kube::RestClient& client, const pb::BundleRef& bundle) {
  absl::StatusOr<nlohmann::json> object =
      client.Get(kube::resources::kWerfBundles, bundle.namespace_(), bundle.name());
  const std::string name = absl::StrCat("WerfBundle ", bundle.namespace_(), "/", bundle.name());
  if (!object.ok()) {
    if (kube::IsApiNotFound(object.status())) return absl::NotFoundError(absl::StrCat(name, " no longer exists"));
    return absl::UnavailableError(absl::StrCat("cannot check that ", name, " still exists: ",
                                               object.status().message()));
  }
  const nlohmann::json& metadata = (*object)["metadata"];
  if (!bundle.uid().empty() && metadata.value("uid", "") != bundle.uid()) {
    return absl::NotFoundError(absl::StrCat(name, " was deleted and created again (uid ",
                                            metadata.value("uid", ""), ", not ", bundle.uid(), ")"));
  }
  if (metadata.contains("deletionTimestamp")) {
    return absl::FailedPreconditionError(absl::StrCat(name, " is being deleted"));
  }
  return absl::OkStatus();
}

// The target Namespace's annotations (where tenancy grants live); none when the
// request stays in the bundle's namespace, which needs no grant.
absl::StatusOr<std::map<std::string, std::string>> NamespaceAnnotations(kube::RestClient& client,
                                                                        const std::string& name) {
  std::map<std::string, std::string> annotations;
  absl::StatusOr<nlohmann::json> object = client.Get(kube::resources::kNamespaces, "", name);
  if (!object.ok()) {
    if (kube::IsApiNotFound(object.status())) return annotations;  // no grant: refused unless same namespace
    return absl::UnavailableError(
        absl::StrCat("cannot read Namespace \"", name, "\" for its grants: ", object.status().message()));
  }
  const nlohmann::json found = (*object)["metadata"].value("annotations", nlohmann::json::object());
  for (const auto& [key, value] : found.items()) {
    if (value.is_string()) annotations[key] = value.get<std::string>();
  }
  return annotations;
}

pb::ConnectRequest JobMessage(const pb::JobObservation& observation) {
  pb::ConnectRequest message;
  *message.mutable_job() = observation;
  return message;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Converger>> Converger::Create(std::shared_ptr<kube::RestClient> client,
                                                             ConvergerOptions options) {
  options.hub.kind = pb::WORKER_KIND_CONVERGER;
  if (options.monitor.clock == nullptr) options.monitor.clock = options.clock;
  if (options.hub.clock == nullptr) options.hub.clock = options.clock;
  std::unique_ptr<Converger> converger(new Converger(client, std::move(options)));
  Converger* self = converger.get();
  ASSIGN_OR_RETURN(self->monitor_,
                   JobMonitor::Create(client, self->options_.monitor,
                                      [self](const pb::JobObservation& o) { self->Publish(o); }));
  ASSIGN_OR_RETURN(
      self->hub_,
      hub::HubWorker::Create(
          self->options_.hub,
          {.on_connected = [self](hub::StreamId stream, const pb::HubWelcome&) { self->OnConnected(stream); },
           .on_message = [self](hub::StreamId stream,
                                const pb::ConnectResponse& message) { self->OnMessage(stream, message); },
           .on_disconnected = {}}));
  return converger;
}

Converger::Converger(std::shared_ptr<kube::RestClient> client, ConvergerOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()),
      client_(client),
      launcher_(std::move(client), options_.builder) {}

Converger::~Converger() { Stop(); }

void Converger::Start() {
  monitor_->Start();
  for (int i = 0; i < std::max(1, options_.handlers); ++i) handlers_.emplace_back([this] { RunHandler(); });
  starter_ = std::thread([this] { RunStarter(); });
}

void Converger::RunStarter() {
  while (!monitor_->WaitForSync(absl::Seconds(1))) {
    if (stopping_.HasBeenNotified()) return;
  }
  if (stopping_.HasBeenNotified()) return;
  common::LogInfo("werf Job watch synced; dialing the hub",
                  {{"controller_address", options_.hub.controller_address}, {"worker_id", hub_->worker_id()}});
  hub_->Start();
}

void Converger::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.Notify();
  if (starter_.joinable()) starter_.join();
  // The hub first: no new requests while the watch stops. Queued requests are dropped:
  // with the stream gone, the hub gives them to another converger.
  hub_->Stop();
  {
    absl::MutexLock lock(&queue_mu_);
    handlers_stopping_ = true;
  }
  for (std::thread& handler : handlers_) handler.join();
  monitor_->Stop();
}

absl::Status Converger::Ready() const {
  if (!monitor_->HasSynced()) {
    return absl::UnavailableError("the werf Job watch has not synced yet; is the Kubernetes API reachable?");
  }
  if (!hub_->connected()) {
    return absl::UnavailableError(
        absl::StrCat("not connected to the controller's hub at ", options_.hub.controller_address));
  }
  return absl::OkStatus();
}

pb::ListJobsResponse Converger::ListJobs() const {
  pb::ListJobsResponse response;
  response.set_connected(hub_->connected());
  for (pb::JobObservation& observation : monitor_->Snapshot()) *response.add_jobs() = std::move(observation);
  return response;
}

void Converger::Publish(const pb::JobObservation& observation) {
  // Not connected: dropped here, and sent with every other Job's latest state once a
  // stream is welcomed (OnConnected).
  (void)hub_->Send(JobMessage(observation));
}

void Converger::OnConnected(hub::StreamId stream) {
  int sent = 0;
  monitor_->ForEachLatest([&](const pb::JobObservation& observation) {
    sent += hub_->SendOnStream(stream, JobMessage(observation)).ok();
  });
  common::LogInfo("re-sent the latest observation of every known Job", {{"stream", stream}, {"jobs", sent}});
}

void Converger::OnMessage(hub::StreamId stream, const pb::ConnectResponse& message) {
  if (!message.has_converge()) {
    common::LogWarning("ignoring a hub message a converger does not take",
                       {{"sequence", message.sequence()}, {"stream", stream}});
    return;
  }
  pb::ConnectRequest receipt;
  receipt.mutable_ack()->set_accepted(true);
  receipt.mutable_ack()->set_receipt(true);
  receipt.mutable_ack()->set_sequence(message.sequence());
  (void)hub_->SendOnStream(stream, std::move(receipt));
  absl::MutexLock lock(&queue_mu_);
  queue_.push_back({.stream = stream, .sequence = message.sequence(), .request = message.converge()});
}

void Converger::RunHandler() {
  while (true) {
    QueuedConverge item;
    std::string bundle;
    {
      absl::MutexLock lock(&queue_mu_);
      auto next = queue_.end();
      auto ready = [&] {
        if (handlers_stopping_) return true;
        next = std::find_if(queue_.begin(), queue_.end(), [&](const QueuedConverge& q) {
          return !busy_bundles_.contains(
              kube::ObjectKey(q.request.bundle().namespace_(), q.request.bundle().name()));
        });
        return next != queue_.end();
      };
      queue_mu_.Await(absl::Condition(&ready));
      if (handlers_stopping_) return;
      item = std::move(*next);
      queue_.erase(next);
      bundle = kube::ObjectKey(item.request.bundle().namespace_(), item.request.bundle().name());
      busy_bundles_.insert(bundle);
    }
    Decision decision = HandleConverge(item.request);
    const bool accepted = decision.ack.accepted();
    pb::ConnectRequest reply;
    *reply.mutable_ack() = std::move(decision.ack);
    reply.mutable_ack()->set_sequence(item.sequence);
    (void)hub_->SendOnStream(item.stream, std::move(reply));
    if (accepted) {
      // An adopted Job may have finished long ago: tell the controller what it knows.
      if (std::optional<pb::JobObservation> latest =
              monitor_->Latest(item.request.target_namespace(), decision.job_name)) {
        (void)hub_->SendOnStream(item.stream, JobMessage(*latest));
      }
    }
    absl::MutexLock lock(&queue_mu_);
    busy_bundles_.erase(bundle);
  }
}

Converger::Decision Converger::HandleConverge(const pb::ConvergeRequest& request) {
  if (absl::Status valid = ValidateConvergeRequest(request); !valid.ok()) {
    return Refuse(request, "", std::string(valid.message()));
  }
  absl::StatusOr<std::map<std::string, std::string>> annotations =
      NamespaceAnnotations(*client_, request.target_namespace());
  if (!annotations.ok()) return Refuse(request, "", std::string(annotations.status().message()));
  if (absl::Status allowed = CheckRequestPolicy(options_.tenancy, request, *annotations); !allowed.ok()) {
    return Refuse(request, "", std::string(allowed.message()));
  }
  const std::string job_name = ResolveJobName(request, clock_.Now());
  const std::string key = kube::ObjectKey(request.target_namespace(), job_name);
  std::vector<std::string> others = monitor_->UnfinishedJobsOf(request.bundle().namespace_(), request.bundle().name());
  const bool already_running = std::erase(others, key) > 0;
  if (!others.empty()) {
    // Two werf processes on one release would fight over it; the controller re-sends
    // once the running Job has been reported finished.
    return Refuse(request, job_name, absl::StrCat("bundle ", request.bundle().namespace_(), "/", request.bundle().name(),
                                        " already has a running Job ", absl::StrJoin(others, ", "),
                                        "; a new one starts only after it finishes"));
  }
  const uint32_t capacity = options_.hub.capacity;
  if (!already_running && capacity > 0) {
    if (const int running = monitor_->UnfinishedJobs(); running >= static_cast<int>(capacity)) {
      return Refuse(request, job_name, absl::StrCat("converger ", hub_->worker_id(), " is at capacity (", running, " of ",
                                          capacity, " Jobs running)"));
    }
  }
  if (!already_running) {
    // The controller forgets a deleted bundle's requests, but one may already be on
    // its way: a Job created now would outlive the bundle's finalizer, orphaned.
    if (absl::Status wanted = BundleStillExists(*client_, request.bundle()); !wanted.ok()) {
      return Refuse(request, job_name, std::string(wanted.message()));
    }
  }
  absl::StatusOr<LaunchResult> launched = launcher_.Launch(request, job_name);
  if (!launched.ok()) return Refuse(request, job_name, std::string(launched.status().message()));
  monitor_->NoteLaunched(request, job_name);
  Decision decision;
  decision.ack.set_accepted(true);
  decision.job_name = job_name;
  return decision;
}

}  // namespace werf::converger
