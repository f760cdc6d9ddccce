#include "services/controller/controller.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/hashing.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/kube/api_error.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "services/controller/metrics.h"

namespace werf::controller {
namespace {

constexpr char kFinalizer[] = "werf.io/cleanup";

std::string BundleKeyOf(const nlohmann::json& object) { return kube::ObjectKey(object); }

}  // namespace

std::string RepositoryKey(const BundleSpec& spec) {
  std::string key = spec.repository;
  if (!spec.secret_name.empty()) absl::StrAppend(&key, "#", spec.ns, "/", spec.secret_name);
  if (!spec.ca_secret_name.empty()) absl::StrAppend(&key, "!ca=", spec.ns, "/", spec.ca_secret_name);
  if (spec.insecure) absl::StrAppend(&key, "!insecure");
  return key;
}

Controller::Controller(std::shared_ptr<kube::RestClient> client, ControllerOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

Controller::~Controller() { Stop(); }

HubCallbacks Controller::MakeHubCallbacks() {
  return HubCallbacks{
      .on_repository = [this](const pb::RepositoryObservation& o) { OnRepository(o); },
      .on_job = [this](const pb::JobObservation& o) { OnJob(o); },
      .on_rejected = [this](const pb::ConvergeRequest& r, const std::string& m) { OnRejected(r, m); },
      .on_workers_changed = [] {},
  };
}

void Controller::Start() {
  kube::WorkQueueOptions queue_options;
  queue_options.name = "werfbundles";
  queue_options.metrics_registry = &common::MetricsRegistry();
  queue_ = *kube::WorkQueue::Create(std::move(queue_options));
  events_ = std::make_unique<kube::EventRecorder>(
      client_, kube::EventRecorderOptions{.component = "werf-controller", .host = options_.identity});

  bundles_ = std::make_unique<kube::Informer>(
      client_, kube::InformerOptions{.resource = kube::resources::kWerfBundles,
                                     .ns = options_.watch_namespace,
                                     .resync_period = absl::Minutes(10),
                                     .name = "werfbundles"});
  const auto enqueue = [this](const kube::ObjectPtr& object) { queue_->Add(BundleKeyOf(*object)); };
  bundles_->AddHandlers({
      .on_add = enqueue,
      .on_update = [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& now) { enqueue(now); },
      .on_delete = enqueue,
  });
  bundles_->Start();
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { RunWorker(); });
  gauges_ = std::thread([this] {
    while (!stopping_.load()) {
      UpdatePhaseGauges();
      for (int i = 0; i < 50 && !stopping_.load(); ++i) absl::SleepFor(absl::Milliseconds(100));
    }
  });
}

void Controller::Stop() {
  if (stopping_.exchange(true)) return;
  if (queue_) queue_->ShutDownWithDrain();
  for (std::thread& worker : workers_) worker.join();
  if (gauges_.joinable()) gauges_.join();
  if (bundles_) bundles_->Stop();
  events_.reset();  // flushes queued Events
}

void Controller::RunWorker() {
  while (std::optional<std::string> key = queue_->Get()) {
    const absl::Time start = absl::Now();
    absl::StatusOr<Outcome> outcome = Reconcile(*key);
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    ControllerMetrics().reconcile_seconds.Observe(seconds);
    if (!outcome.ok()) {
      ControllerMetrics().ReconcileResult(kube::IsApiConflict(outcome.status()) ? "conflict" : "error");
      if (!kube::IsApiConflict(outcome.status())) {
        common::LogWarning("reconcile failed", {{"bundle", *key}, {"error", outcome.status().ToString()}});
      }
      queue_->AddRateLimited(*key);
    } else {
      ControllerMetrics().ReconcileResult(outcome->requeue_after > absl::ZeroDuration() ? "requeue"
                                                                                         : "success");
      queue_->Forget(*key);
      if (outcome->requeue_after > absl::ZeroDuration()) queue_->AddAfter(*key, outcome->requeue_after);
    }
    queue_->Done(*key);
  }
}

absl::Status Controller::EnsureFinalizer(const nlohmann::json& bundle) {
  const nlohmann::json& metadata = bundle["metadata"];
  nlohmann::json finalizers = metadata.value("finalizers", nlohmann::json::array());
  for (const auto& f : finalizers) {
    if (f == kFinalizer) return absl::OkStatus();
  }
  finalizers.push_back(kFinalizer);
  // The resourceVersion makes this a compare-and-swap with the user's own edits.
  const nlohmann::json patch = {
      {"metadata",
       {{"finalizers", finalizers}, {"resourceVersion", metadata.value("resourceVersion", "")}}}};
  return client_
      ->Patch(kube::resources::kWerfBundles, metadata.value("namespace", ""),
              metadata.value("name", ""), kube::PatchType::kMerge, patch)
      .status();
}

absl::StatusOr<Controller::Outcome> Controller::Finalize(const nlohmann::json& bundle) {
  const nlohmann::json& metadata = bundle["metadata"];
  const std::string key = BundleKeyOf(bundle);
  Untrack(key);
  const nlohmann::json finalizers = metadata.value("finalizers", nlohmann::json::array());
  bool ours = false;
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& f : finalizers) {
    if (f == kFinalizer) {
      ours = true;
    } else {
      kept.push_back(f);
    }
  }
  if (!ours) return Outcome{};
  // Jobs live in the target namespace, which may differ from the bundle's; owner
  // references cannot cross namespaces, so the label finds them everywhere.
  const std::string selector = absl::StrCat("werf.io/bundle-uid=", metadata.value("uid", ""));
  absl::StatusOr<kube::ListResult> jobs =
      client_->ListAll(kube::resources::kJobs, "", {.label_selector = selector});
  if (!jobs.ok()) return jobs.status();
  for (const nlohmann::json& job : jobs->items) {
    const absl::Status deleted = client_->Delete(
        kube::resources::kJobs, job["metadata"].value("namespace", ""),
        job["metadata"].value("name", ""), {.propagation_policy = "Background"});
    if (!deleted.ok() && !kube::IsApiNotFound(deleted)) return deleted;
  }
  const nlohmann::json patch = {
      {"metadata",
       {{"finalizers", kept}, {"resourceVersion", metadata.value("resourceVersion", "")}}}};
  absl::Status removed = client_
                             ->Patch(kube::resources::kWerfBundles, metadata.value("namespace", ""),
                                     metadata.value("name", ""), kube::PatchType::kMerge, patch)
                             .status();
  if (!removed.ok() && !kube::IsApiNotFound(removed)) return removed;
  common::LogInfo("bundle deleted; its Jobs were removed",
                  {{"bundle", metadata.value("name", "")},
                   {"namespace", metadata.value("namespace", "")},
                   {"jobs", jobs->items.size()}});
  return Outcome{};
}

std::optional<std::string> Controller::MissingReference(const BundleSpec& spec) {
  const auto exists = [&](const kube::Resource& resource, const std::string& ns,
                          const std::string& name) -> absl::StatusOr<bool> {
    absl::StatusOr<nlohmann::json> object = client_->Get(resource, ns, name);
    if (object.ok()) return true;
    if (kube::IsApiNotFound(object.status())) return false;
    return object.status();
  };
  const auto check = [&](const kube::Resource& resource, const std::string& kind,
                         const std::string& ns, const std::string& name,
                         const std::string& fix) -> std::optional<std::string> {
    absl::StatusOr<bool> found = exists(resource, ns, name);
    if (!found.ok()) {
      return absl::StrCat("cannot check ", kind, " \"", name, "\" in namespace \"", ns,
                          "\": ", found.status().message());
    }
    if (*found) return std::nullopt;
    return absl::StrCat(kind, " \"", name, "\" not found in namespace \"", ns, "\": ", fix);
  };
  if (auto missing = check(kube::resources::kNamespaces, "Namespace", "", spec.target_namespace,
                           "create it or fix spec.converge.targetNamespace")) {
    return absl::StrCat("target ", *missing);
  }
  if (auto missing =
          check(kube::resources::kServiceAccounts, "ServiceAccount", spec.target_namespace,
                spec.service_account,
                "create it (with rights to deploy the release) or fix "
                "spec.converge.serviceAccountName")) {
    return missing;
  }
  if (!spec.secret_name.empty()) {
    if (auto missing = check(kube::resources::kSecrets, "Secret", spec.ns, spec.secret_name,
                             "create the registry credentials Secret or fix "
                             "spec.registry.secretRef")) {
      return missing;
    }
  }
  if (!spec.ca_secret_name.empty()) {
    if (auto missing = check(kube::resources::kSecrets, "Secret", spec.ns, spec.ca_secret_name,
                             "create the CA Secret (key ca.crt) or fix spec.registry.caSecretRef")) {
      return missing;
    }
  }
  for (const ValuesSourceSpec& source : spec.values_from) {
    if (source.optional) continue;
    if (auto missing = check(source.is_secret ? kube::resources::kSecrets
                                              : kube::resources::kConfigMaps,
                             source.is_secret ? "Secret" : "ConfigMap", spec.ns, source.name,
                             "create it, mark the valuesFrom entry optional, or remove it")) {
      return missing;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::string> Controller::ValuesHash(const BundleSpec& spec) {
  std::vector<std::string> parts;
  for (const ValuesSourceSpec& source : spec.values_from) {
    absl::StatusOr<nlohmann::json> object = client_->Get(
        source.is_secret ? kube::resources::kSecrets : kube::resources::kConfigMaps, spec.ns,
        source.name);
    if (!object.ok()) {
      if (kube::IsApiNotFound(object.status()) && source.optional) {
        parts.push_back("absent");
        continue;
      }
      return object.status();
    }
    const std::string key = source.key.empty() ? "values.yaml" : source.key;
    const nlohmann::json data = object->value("data", nlohmann::json::object());
    // Only a digest of the content leaves this function: never the values.
    parts.push_back(data.contains(key) && data[key].is_string()
                        ? common::Sha256Hex(data[key].get<std::string>())
                        : "no-key");
  }
  return common::ShortHash(absl::StrJoin(parts, ","));
}

void Controller::Track(const std::string& bundle_key, const BundleSpec& spec,
                       const std::string& watched_tag, bool poll_now) {
  pb::TrackRepository track;
  const std::string repository_key = RepositoryKey(spec);
  track.set_key(repository_key);
  track.set_repository(spec.repository);
  if (!spec.secret_name.empty()) {
    track.mutable_access()->mutable_credentials_secret()->set_namespace_(spec.ns);
    track.mutable_access()->mutable_credentials_secret()->set_name(spec.secret_name);
  }
  if (!spec.ca_secret_name.empty()) {
    track.mutable_access()->mutable_ca_secret()->set_namespace_(spec.ns);
    track.mutable_access()->mutable_ca_secret()->set_name(spec.ca_secret_name);
  }
  track.mutable_access()->set_insecure(spec.insecure);
  *track.mutable_poll_interval() = google::protobuf::util::TimeUtil::MillisecondsToDuration(
      absl::ToInt64Milliseconds(spec.poll_interval));
  if (!watched_tag.empty()) track.add_watched_tags(watched_tag);
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    Demand& demand = demands_[bundle_key];
    changed = demand.repository_key != repository_key ||
              demand.track.SerializeAsString() != track.SerializeAsString();
    demand.repository_key = repository_key;
    demand.track = std::move(track);
  }
  if (changed) PushRepositories();
  if (poll_now && hub_ != nullptr) hub_->PollNow(repository_key);
}

void Controller::Untrack(const std::string& bundle_key) {
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    changed = demands_.erase(bundle_key) > 0;
  }
  if (changed) PushRepositories();
}

void Controller::PushRepositories() {
  std::map<std::string, pb::TrackRepository> merged;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [bundle, demand] : demands_) {
      auto [it, inserted] = merged.try_emplace(demand.repository_key, demand.track);
      if (inserted) continue;
      // One schedule per repository and credentials: the shortest interval, every watched tag.
      pb::TrackRepository& track = it->second;
      if (google::protobuf::util::TimeUtil::DurationToMilliseconds(demand.track.poll_interval()) <
          google::protobuf::util::TimeUtil::DurationToMilliseconds(track.poll_interval())) {
        *track.mutable_poll_interval() = demand.track.poll_interval();
      }
      for (const std::string& tag : demand.track.watched_tags()) {
        if (std::find(track.watched_tags().begin(), track.watched_tags().end(), tag) ==
            track.watched_tags().end()) {
          track.add_watched_tags(tag);
        }
      }
    }
  }
  for (auto& [key, track] : merged) {
    std::sort(track.mutable_watched_tags()->begin(), track.mutable_watched_tags()->end());
  }
  ControllerMetrics().repositories_tracked.Set(static_cast<double>(merged.size()));
  if (hub_ != nullptr) hub_->SetRepositories(std::move(merged));
}

absl::Status Controller::WriteStatus(const nlohmann::json& bundle, const nlohmann::json& status) {
  if (bundle.value("status", nlohmann::json::object()) == status) return absl::OkStatus();
  nlohmann::json updated = bundle;
  updated["status"] = status;
  status_writes_.fetch_add(1);
  ControllerMetrics().status_writes.Increment();
  // The cached object's resourceVersion makes the write fail with Conflict when the
  // bundle changed meanwhile; the requeue then decides again on fresh data.
  return client_
      ->UpdateStatus(kube::resources::kWerfBundles, bundle["metadata"].value("namespace", ""),
                     updated)
      .status();
}

void Controller::EnqueueBundlesOfRepository(const std::string& key) {
  std::vector<std::string> bundles;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [bundle, demand] : demands_) {
      if (demand.repository_key == key) bundles.push_back(bundle);
    }
  }
  for (const std::string& bundle : bundles) queue_->Add(bundle);
}

void Controller::OnRepository(const pb::RepositoryObservation& observation) {
  if (registry_.Apply(observation) && queue_ != nullptr) {
    EnqueueBundlesOfRepository(observation.key());
  }
}

void Controller::OnJob(const pb::JobObservation& observation) {
  if (hub_ != nullptr) hub_->ForgetConverge(observation.job_name());  // a converger has it
  if (observation.phase() == pb::JOB_PHASE_RUNNING) return;
  {
    absl::MutexLock lock(&mu_);
    job_results_[observation.job_name()] = observation;
  }
  if (queue_ != nullptr) {
    queue_->Add(kube::ObjectKey(observation.bundle().namespace_(), observation.bundle().name()));
  }
}

void Controller::OnRejected(const pb::ConvergeRequest& request, const std::string& message) {
  const std::string key = kube::ObjectKey(request.bundle().namespace_(), request.bundle().name());
  {
    absl::MutexLock lock(&mu_);
    rejections_[key] = absl::StrCat("converger refused Job \"", request.job_name(), "\": ", message);
  }
  if (queue_ != nullptr) queue_->AddAfter(key, options_.recheck_interval);
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
