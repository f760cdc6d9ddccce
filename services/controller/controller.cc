#include "services/controller/controller.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "libs/common/metrics.h"
#include "libs/kube/api_error.h"
#include "libs/hub/registry_access_reader.h"
#include "libs/http/curl_http_client.h"
#include "libs/oci/reference.h"
#include "libs/oci/registry_client.h"
#include "services/controller/metrics.h"

namespace werf::controller {
namespace {

// The notifier with libcurl and, for GitHub commit statuses, the registry client that
// reads a bundle manifest's annotations with the bundle's own registry access.
std::unique_ptr<Notifier> MakeNotifier(const std::shared_ptr<kube::RestClient>& client, NotifierOptions options,
                                       common::Clock& clock) {
  if (options.clock == nullptr) options.clock = &clock;
  std::shared_ptr<oci::RegistryClient> registry;
  if (absl::StatusOr<std::unique_ptr<oci::RegistryClient>> created = oci::RegistryClient::Create(); created.ok()) {
    registry = *std::move(created);
  } else {
    common::LogError("GitHub commit statuses cannot read manifests", {{"error", created.status().ToString()}});
  }
  auto access = std::make_shared<hub::RegistryAccessReader>(client, "the controller");
  ManifestAnnotationsReader annotations =
      [registry, access](const pb::TrackRepository& track,
                         const std::string& reference) -> absl::StatusOr<std::map<std::string, std::string>> {
    if (registry == nullptr) return absl::UnavailableError("no registry client");
    absl::StatusOr<oci::RegistryAccess> granted = access->Read(track);
    if (!granted.ok()) return granted.status();
    absl::StatusOr<oci::RepositoryRef> repository = oci::RepositoryRef::Parse(track.repository());
    if (!repository.ok()) return repository.status();
    absl::StatusOr<oci::ManifestResult> manifest = registry->GetManifest(*repository, *granted, reference);
    if (!manifest.ok()) return manifest.status();
    return manifest->annotations;
  };
  return std::make_unique<Notifier>(client, std::make_shared<http::CurlHttpClient>(), std::move(annotations),
                                    std::move(options));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Controller>> Controller::Create(std::shared_ptr<kube::RestClient> client,
                                                               ControllerOptions options) {
  if (options.workers < 1) return absl::InvalidArgumentError("--workers must be at least 1");
  const int workers = options.workers;
  std::unique_ptr<Controller> controller(new Controller(std::move(client), std::move(options)));
  ASSIGN_OR_RETURN(controller->loop_,
                   kube::ControllerLoop::Create(
                       {.name = "werfbundles",
                        .workers = workers,
                        .metrics_registry = &common::MetricsRegistry(),
                        .clock = &controller->clock_},
                       [raw = controller.get()](const std::string& key) { return raw->Process(key); }));
  return controller;
}

Controller::Controller(std::shared_ptr<kube::RestClient> client, ControllerOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()) {}

Controller::~Controller() { Stop(); }

hub::HubCallbacks Controller::MakeHubCallbacks() {
  return hub::HubCallbacks{
      .on_repository = [this](const pb::RepositoryObservation& o) { OnRepository(o); },
      .on_job = [this](const pb::JobObservation& o) { OnJob(o); },
      .on_rejected = [this](const pb::ConvergeRequest& r, const std::string& m) { OnRejected(r, m); },
      .on_repository_event = [this](const pb::RepositoryEvent& e) { OnRepositoryEvent(e); },
      .on_workers_changed = [this](pb::WorkerKind kind, bool connected) { OnWorkersChanged(kind, connected); },
  };
}

void Controller::Start(std::function<void()> on_synced) {
  absl::StatusOr<std::unique_ptr<WebhookRouter>> router = WebhookRouter::Create(
      {.quiet = options_.webhook_quiet, .max_delay = options_.webhook_max_delay, .clock = &clock_},
      [this](const std::string& key) {
        if (hub_ != nullptr) hub_->PollNow(key);
      });
  if (router.ok()) {
    webhooks_ = *std::move(router);
  } else {
    common::LogError("webhook events will not trigger polls", {{"error", router.status().ToString()}});
  }
  notifier_ = MakeNotifier(client_, options_.notifier, clock_);
  notifier_->Start();
  events_ = std::make_unique<kube::EventRecorder>(
      client_,
      kube::EventRecorderOptions{.component = "werf-controller", .host = options_.identity, .clock = &clock_});
  references_ = std::make_unique<ReferenceCache>(
      client_, options_.watch_namespace, options_.values_key,
      [this](const std::string& reference) { OnReferenceChanged(reference); });
  bundles_ = std::make_unique<kube::Informer>(
      client_, kube::InformerOptions{.resource = kube::resources::kWerfBundles,
                                     .ns = options_.watch_namespace,
                                     .resync_period = absl::Minutes(10),
                                     .name = "werfbundles",
                                     // Status is written to /status and finalizers patched, so
                                     // kubectl's copy of the applied object is never needed.
                                     .transform = kube::DropApplyBookkeeping,
                                     .clock = &clock_});
  const auto enqueue = [this](const kube::ObjectPtr& object) { loop_->Add(kube::ObjectKey(*object)); };
  bundles_->AddHandlers({
      .on_add = enqueue,
      .on_update = [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& now) { enqueue(now); },
      .on_delete = enqueue,
  });
  references_->Start();
  bundles_->Start();
  // Workers start once every cache has synced, so no decision is made on a partial
  // view (a ServiceAccount not listed yet is not "missing").
  starter_ = std::thread([this, on_synced = std::move(on_synced)] {
    while (!stopping_.load()) {
      if (references_->WaitForSync(absl::Milliseconds(200)) && bundles_->WaitForSync(absl::Milliseconds(200))) {
        break;
      }
    }
    if (stopping_.load()) return;
    synced_.store(true);
    loop_->Start();
    if (on_synced) on_synced();
  });
  gauges_ = std::thread([this] {
    while (!stopping_.load()) {
      UpdatePhaseGauges();
      for (int i = 0; i < 50 && !stopping_.load(); ++i) absl::SleepFor(absl::Milliseconds(100));
    }
  });
}

void Controller::Stop() {
  if (stopping_.exchange(true)) return;
  if (starter_.joinable()) starter_.join();
  webhooks_.reset();
  loop_->Stop();  // the keys in hand and waiting are reconciled first
  // After the workers: no more updates; the deliveries in flight finish and are recorded.
  if (notifier_) notifier_->Stop();
  if (gauges_.joinable()) gauges_.join();
  if (bundles_) bundles_->Stop();
  if (references_) references_->Stop();
  events_.reset();  // flushes queued Events
}

absl::StatusOr<absl::Duration> Controller::Process(const std::string& key) {
  const absl::Time start = absl::Now();  // a metric of real time spent, whatever clock_ says
  absl::StatusOr<Outcome> outcome = Reconcile(key);
  ControllerMetrics().reconcile_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - start));
  if (!outcome.ok()) {
    // A conflict is a stale cache, not news: the retry reads the newer object.
    const bool conflict = kube::IsApiConflict(outcome.status());
    ControllerMetrics().ReconcileResult(conflict ? "conflict" : "error");
    if (!conflict) common::LogWarning("reconcile failed", {{"bundle", key}, {"error", outcome.status().ToString()}});
    return outcome.status();
  }
  const bool requeue = outcome->requeue_after > absl::ZeroDuration();
  ControllerMetrics().ReconcileResult(requeue ? "requeue" : "success");
  return outcome->requeue_after;
}

void Controller::SetDemand(const std::string& bundle_key, std::optional<pb::TrackRepository> track) {
  // The repositories whose merged settings may have changed: the bundle's old and new one.
  std::set<std::string> touched;
  std::string forgotten;
  std::map<std::string, std::optional<pb::TrackRepository>> changes;
  size_t repositories = 0;
  {
    absl::MutexLock lock(&mu_);
    auto current = demands_.find(bundle_key);
    if (!track.has_value()) {
      if (current == demands_.end()) return;
      touched.insert(current->second.repository_key);
      UnindexDemandLocked(bundle_key, current->second.repository_key);
      demands_.erase(current);
    } else {
      if (current != demands_.end() && current->second.repository_key == track->key() &&
          current->second.track.SerializeAsString() == track->SerializeAsString()) {
        return;
      }
      if (current != demands_.end() && current->second.repository_key != track->key()) {
        touched.insert(current->second.repository_key);
        UnindexDemandLocked(bundle_key, current->second.repository_key);
      }
      Demand& demand = demands_[bundle_key];
      if (demand.track.repository() != track->repository() || demand.canonical_repository.empty()) {
        absl::StatusOr<oci::RepositoryRef> parsed = oci::RepositoryRef::Parse(track->repository());
        demand.canonical_repository = parsed.ok() ? parsed->ToString() : track->repository();
      }
      demand.repository_key = track->key();
      demand.track = *std::move(track);
      bundles_by_repository_[demand.repository_key].insert(bundle_key);
      touched.insert(demand.repository_key);
    }
    for (const std::string& key : touched) {
      std::optional<pb::TrackRepository> merged = MergedTrackLocked(key);
      // Registry facts live as long as some bundle wants the repository.
      if (!merged.has_value()) forgotten = key;
      changes.emplace(key, std::move(merged));
    }
    repositories = bundles_by_repository_.size();
  }
  if (!forgotten.empty()) registry_.Forget(forgotten);
  ControllerMetrics().repositories_tracked.Set(static_cast<double>(repositories));
  if (hub_ != nullptr) hub_->UpdateRepositories(std::move(changes));
}

void Controller::UnindexDemandLocked(const std::string& bundle_key, const std::string& repository_key) {
  auto it = bundles_by_repository_.find(repository_key);
  if (it == bundles_by_repository_.end()) return;
  it->second.erase(bundle_key);
  if (it->second.empty()) bundles_by_repository_.erase(it);
}

std::optional<pb::TrackRepository> Controller::MergedTrackLocked(const std::string& repository_key) const {
  auto bundles = bundles_by_repository_.find(repository_key);
  if (bundles == bundles_by_repository_.end()) return std::nullopt;
  std::optional<pb::TrackRepository> merged;
  for (const std::string& bundle : bundles->second) {
    const pb::TrackRepository& track = demands_.at(bundle).track;
    if (!merged.has_value()) {
      merged = track;
      continue;
    }
    // One schedule per repository and credentials: the shortest interval, every watched tag.
    if (google::protobuf::util::TimeUtil::DurationToMilliseconds(track.poll_interval()) <
        google::protobuf::util::TimeUtil::DurationToMilliseconds(merged->poll_interval())) {
      *merged->mutable_poll_interval() = track.poll_interval();
    }
    for (const std::string& tag : track.watched_tags()) {
      if (std::find(merged->watched_tags().begin(), merged->watched_tags().end(), tag) ==
          merged->watched_tags().end()) {
        merged->add_watched_tags(tag);
      }
    }
  }
  std::sort(merged->mutable_watched_tags()->begin(), merged->mutable_watched_tags()->end());
  return merged;
}

void Controller::IndexReferences(const std::string& bundle_key, std::vector<std::string> references) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string>& current = references_by_bundle_[bundle_key];
  if (current == references) return;
  for (const std::string& reference : current) {
    auto it = bundles_by_reference_.find(reference);
    if (it == bundles_by_reference_.end()) continue;
    it->second.erase(bundle_key);
    if (it->second.empty()) bundles_by_reference_.erase(it);
  }
  for (const std::string& reference : references) bundles_by_reference_[reference].insert(bundle_key);
  current = std::move(references);
  if (current.empty()) references_by_bundle_.erase(bundle_key);
}

void Controller::Forget(const std::string& key) {
  if (notifier_ != nullptr) notifier_->Forget(key);
  SetDemand(key, std::nullopt);
  IndexReferences(key, {});
  absl::MutexLock lock(&mu_);
  std::erase_if(pending_, [&](const auto& entry) { return entry.second.bundle_key == key; });
  reported_jobs_.erase(key);
}

void Controller::OnRepository(const pb::RepositoryObservation& observation) {
  if (!registry_.Apply(observation)) return;
  std::vector<std::string> bundles;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = bundles_by_repository_.find(observation.key()); it != bundles_by_repository_.end()) {
      bundles.assign(it->second.begin(), it->second.end());
    }
  }
  for (const std::string& bundle : bundles) loop_->Add(bundle);
}

void Controller::OnRepositoryEvent(const pb::RepositoryEvent& event) {
  absl::StatusOr<oci::RepositoryRef> named = oci::RepositoryRef::Create(event.registry(), event.repository());
  std::set<std::string> keys;
  std::vector<std::string> bundles;
  if (named.ok()) {
    const std::string repository = named->ToString();
    absl::MutexLock lock(&mu_);
    for (const auto& [bundle, demand] : demands_) {
      if (demand.canonical_repository != repository) continue;
      keys.insert(demand.repository_key);
      bundles.push_back(bundle);
    }
  }
  // The receiver answered 202 either way: whether a repository is known is not told outside.
  ControllerMetrics().WebhookEvent(event.source(), keys.empty() ? "unknown_repository" : "routed");
  common::LogDebug("repository event", {{"source", event.source()},
                                        {"repository", absl::StrCat(event.registry(), "/", event.repository())},
                                        {"tag", event.tag()},
                                        {"assignments", absl::StrCat(keys.size())}});
  if (keys.empty()) return;
  const absl::Time received_at =
      event.has_received_at()
          ? absl::FromUnixMillis(google::protobuf::util::TimeUtil::TimestampToMilliseconds(event.received_at()))
          : clock_.Now();
  for (const std::string& key : keys) {
    registry_.NoteEvent(key, received_at);
    if (webhooks_ != nullptr) webhooks_->Route(key);
  }
  for (const std::string& bundle : bundles) loop_->Add(bundle);  // status.lastWebhookTime
}

void Controller::OnJob(const pb::JobObservation& observation) {
  if (hub_ != nullptr) hub_->ForgetConverge(observation.job_name());  // a converger has it
  const std::string key = kube::ObjectKey(observation.bundle().namespace_(), observation.bundle().name());
  // Observations of bundles that are gone would wait for a reconcile that never comes.
  if (bundles_ == nullptr || bundles_->store().Get(key) == nullptr) return;
  {
    absl::MutexLock lock(&mu_);
    reported_jobs_[key].insert(observation.job_name());
    if (observation.phase() == pb::JOB_PHASE_RUNNING) return;
    pending_[observation.job_name()] = Pending{.bundle_key = key, .received_at = clock_.Now(), .result = observation};
  }
  loop_->Add(key);
}

void Controller::OnRejected(const pb::ConvergeRequest& request, const std::string& message) {
  const std::string key = kube::ObjectKey(request.bundle().namespace_(), request.bundle().name());
  {
    absl::MutexLock lock(&mu_);
    pending_[request.job_name()] = Pending{.bundle_key = key, .received_at = clock_.Now(), .refusal = message};
  }
  loop_->Add(key);
}

void Controller::OnWorkersChanged(pb::WorkerKind kind, bool connected) {
  if (kind != pb::WORKER_KIND_CONVERGER || connected) return;
  // Jobs that converger reported may now have nobody watching them: ask again (by
  // name, so a Job that exists is adopted, not duplicated).
  {
    absl::MutexLock lock(&mu_);
    reported_jobs_.clear();
  }
  if (bundles_ == nullptr) return;
  for (const kube::ObjectPtr& bundle : bundles_->store().List()) {
    if (bundle->contains("status") && (*bundle)["status"].contains("activeJob")) {
      loop_->Add(kube::ObjectKey(*bundle));
    }
  }
}

void Controller::OnReferenceChanged(const std::string& reference_key) {
  std::vector<std::string> bundles;
  {
    absl::MutexLock lock(&mu_);
    auto it = bundles_by_reference_.find(reference_key);
    if (it == bundles_by_reference_.end()) return;
    bundles.assign(it->second.begin(), it->second.end());
  }
  for (const std::string& bundle : bundles) loop_->Add(bundle);
}

void Controller::UpdatePhaseGauges() {
  if (bundles_ == nullptr || !bundles_->HasSynced()) return;
  std::map<std::string, int> counts = {{"Syncing", 0}, {"Synced", 0}, {"Failed", 0}, {"Unknown", 0}};
  for (const kube::ObjectPtr& bundle : bundles_->store().List()) {
    std::string phase = bundle->value("status", nlohmann::json::object()).value("phase", "");
    ++counts[phase.empty() ? "Unknown" : phase];
  }
  for (const auto& [phase, count] : counts) ControllerMetrics().Bundles(phase).Set(count);
  if (hub_ != nullptr) {
    ControllerMetrics().Workers("poller").Set(hub_->ConnectedWorkers(pb::WORKER_KIND_POLLER));
    ControllerMetrics().Workers("converger").Set(hub_->ConnectedWorkers(pb::WORKER_KIND_CONVERGER));
  }
}

}  // namespace werf::controller
