// Controller::Reconcile: gather the snapshot, Decide, write the status, and only
// then apply the decision's effects and drop what it consumed.
#include "absl/strings/str_cat.h"
#include "libs/api/bundle_status.h"
#include "libs/common/logging.h"
#include "libs/hub/job_labels.h"
#include "libs/kube/api_error.h"
#include "services/controller/controller.h"
#include "services/controller/metrics.h"
#include "services/controller/requests.h"

namespace werf::controller {
namespace {

constexpr char kFinalizer[] = "werf.io/cleanup";
constexpr char kReconcileRequestedAt[] = "werf.io/reconcile-requested-at";

bool HasFinalizer(const nlohmann::json& metadata) {
  const nlohmann::json finalizers = metadata.value("finalizers", nlohmann::json::array());
  return std::find(finalizers.begin(), finalizers.end(), kFinalizer) != finalizers.end();
}

// A merge patch of metadata.finalizers that fails with Conflict when the bundle
// changed meanwhile (the resourceVersion makes it a compare-and-swap).
nlohmann::json FinalizersPatch(const nlohmann::json& metadata, nlohmann::json finalizers) {
  return {{"metadata",
           {{"finalizers", std::move(finalizers)}, {"resourceVersion", metadata.value("resourceVersion", "")}}}};
}

}  // namespace

absl::StatusOr<Controller::Outcome> Controller::Reconcile(const std::string& key) {
  const kube::ObjectPtr object = bundles_->store().Get(key);
  if (object == nullptr) {
    Forget(key);
    return Outcome{};
  }
  const nlohmann::json& bundle = *object;
  const nlohmann::json& metadata = bundle["metadata"];
  const bool deleting = metadata.contains("deletionTimestamp");
  if (!deleting) {
    bool added = false;
    if (absl::Status ensured = EnsureFinalizer(bundle, &added); !ensured.ok()) return ensured;
    if (added) return Outcome{};  // the patch's watch event brings the bundle back
  }

  const Observed observed = Gather(key, bundle);
  Decision decision = Decide(observed, options_.decide);
  if (decision.finalize) {
    if (absl::Status finalized = Finalize(bundle); !finalized.ok()) return finalized;
    return Outcome{};
  }
  if (absl::Status written = WriteStatus(bundle, api::BundleStatusToJson(decision.status)); !written.ok()) {
    return written;  // nothing consumed, nothing done: the retry decides again
  }
  ApplyEffects(key, bundle, observed, decision);
  return Outcome{.requeue_after = decision.requeue_after};
}

Observed Controller::Gather(const std::string& key, const nlohmann::json& bundle) {
  const nlohmann::json& metadata = bundle["metadata"];
  Observed observed;
  observed.key = key;
  observed.generation = metadata.value("generation", int64_t{0});
  observed.deleting = metadata.contains("deletionTimestamp");
  observed.now = clock_.Now();
  const nlohmann::json annotations = metadata.value("annotations", nlohmann::json::object());
  observed.reconcile_requested_at = annotations.value(kReconcileRequestedAt, "");
  observed.status = api::BundleStatusFromJson(bundle.value("status", nlohmann::json::object()));
  observed.spec = ParseBundleSpec(bundle);
  observed.notifications = NotificationSinksOf(
      bundle, references_->NamespaceAnnotation(metadata.value("namespace", ""), kNamespaceNotificationsAnnotation));
  if (observed.spec.ok()) {
    observed.cluster = references_->FactsFor(*observed.spec);
    observed.registry = registry_.Get(RepositoryKey(*observed.spec, observed.cluster.registry_access_identity));
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [name, pending] : pending_) {
    if (pending.bundle_key != key) continue;
    if (pending.refusal.empty()) {
      observed.job_results.push_back(pending.result);
    } else {
      observed.refusals.push_back({name, pending.refusal});
    }
  }
  if (observed.status.active_job.has_value()) {
    auto reported = reported_jobs_.find(key);
    observed.active_job_reported =
        reported != reported_jobs_.end() && reported->second.contains(observed.status.active_job->name);
  }
  return observed;
}

void Controller::ApplyEffects(const std::string& key, const nlohmann::json& bundle, const Observed& observed,
                              Decision& decision) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& name : decision.consumed) pending_.erase(name);
    // A result may overtake the informer's copy of the status that asked for its
    // Job, so unmatched ones wait a little before they are taken as stale.
    std::erase_if(pending_, [&](const auto& entry) {
      return entry.second.bundle_key == key && now - entry.second.received_at > options_.unmatched_observation_ttl;
    });
    auto reported = reported_jobs_.find(key);
    if (reported != reported_jobs_.end()) {
      const std::string active = decision.status.active_job.has_value() ? decision.status.active_job->name : "";
      std::erase_if(reported->second, [&](const std::string& name) { return name != active; });
      if (reported->second.empty()) reported_jobs_.erase(reported);
    }
  }
  IndexReferences(key, observed.spec.ok() ? ReferencesOf(*observed.spec) : std::vector<std::string>{});
  if (notifier_ != nullptr) {
    notifier_->Update({.ns = bundle["metadata"].value("namespace", ""), .name = bundle["metadata"].value("name", ""),
                       .uid = bundle["metadata"].value("uid", "")},
                      observed.notifications.sinks, decision.status, decision.track);
  }
  const std::string repository_key = decision.track.has_value() ? decision.track->key() : "";
  SetDemand(key, std::move(decision.track));
  if (decision.poll_now && hub_ != nullptr && !repository_key.empty()) hub_->PollNow(repository_key);
  if (decision.converge.has_value() && hub_ != nullptr) {
    hub_->SubmitConverge(*decision.converge);
    if (decision.converge_is_new) {
      const bool drift = decision.converge->kind() == pb::JOB_KIND_DRIFT_CHECK;
      ControllerMetrics().Converge(drift ? "drift-check" : "apply");
      common::LogInfo(drift ? "drift check requested" : "converge requested",
                      {{"bundle", observed.spec->name},
                       {"namespace", observed.spec->ns},
                       {"job", decision.converge->job_name()},
                       {"tag", decision.converge->tag()}});
    }
  }
  if (decision.drift_corrected) ControllerMetrics().drift_corrections.Increment();
  for (const EventSpec& event : decision.events) events_->Record(bundle, event.type, event.reason, event.message);
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
      ->UpdateStatus(kube::resources::kWerfBundles, bundle["metadata"].value("namespace", ""), updated)
      .status();
}

absl::Status Controller::EnsureFinalizer(const nlohmann::json& bundle, bool* added) {
  const nlohmann::json& metadata = bundle["metadata"];
  if (HasFinalizer(metadata)) return absl::OkStatus();
  nlohmann::json finalizers = metadata.value("finalizers", nlohmann::json::array());
  finalizers.push_back(kFinalizer);
  *added = true;
  return client_
      ->Patch(kube::resources::kWerfBundles, metadata.value("namespace", ""), metadata.value("name", ""),
              kube::PatchType::kMerge, FinalizersPatch(metadata, std::move(finalizers)))
      .status();
}

absl::Status Controller::Finalize(const nlohmann::json& bundle) {
  const nlohmann::json& metadata = bundle["metadata"];
  const std::string key = kube::ObjectKey(bundle);
  const std::string uid = metadata.value("uid", "");
  // First no converger may start a Job for it any more; then its Jobs go.
  if (hub_ != nullptr) hub_->ForgetConvergesOfBundle(uid);
  Forget(key);
  if (!HasFinalizer(metadata)) return absl::OkStatus();
  // Jobs live in the target namespace, which may differ from the bundle's; owner
  // references cannot cross namespaces, so the label finds them everywhere.
  absl::StatusOr<kube::ListResult> jobs = client_->ListAll(
      kube::resources::kJobs, "", {.label_selector = absl::StrCat(hub::kLabelBundleUid, "=", uid)});
  if (!jobs.ok()) return jobs.status();
  for (const nlohmann::json& job : jobs->items) {
    const absl::Status deleted =
        client_->Delete(kube::resources::kJobs, job["metadata"].value("namespace", ""),
                        job["metadata"].value("name", ""), {.propagation_policy = "Background"});
    if (!deleted.ok() && !kube::IsApiNotFound(deleted)) return deleted;
  }
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& finalizer : metadata.value("finalizers", nlohmann::json::array())) {
    if (finalizer != kFinalizer) kept.push_back(finalizer);
  }
  const absl::Status removed =
      client_
          ->Patch(kube::resources::kWerfBundles, metadata.value("namespace", ""), metadata.value("name", ""),
                  kube::PatchType::kMerge, FinalizersPatch(metadata, std::move(kept)))
          .status();
  if (!removed.ok() && !kube::IsApiNotFound(removed)) return removed;
  common::LogInfo("bundle deleted; its Jobs were removed",
                  {{"bundle", metadata.value("name", "")},
                   {"namespace", metadata.value("namespace", "")},
                   {"jobs", jobs->items.size()}});
  return absl::OkStatus();
}

}  // namespace werf::controller
