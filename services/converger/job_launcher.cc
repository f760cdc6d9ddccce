#include "services/converger/job_launcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/logging.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/hub/job_labels.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"
#include "services/converger/converger_metrics.h"
#include "services/converger/job_inputs.h"

namespace werf::converger {
namespace {

using nlohmann::json;

std::string MetadataString(const json& object, const char* field) {
  return object.contains("metadata") ? object["metadata"].value(field, "") : "";
}

std::string LabelOf(const json& object, absl::string_view label) {
  if (!object.contains("metadata") || !object["metadata"].contains("labels")) return "";
  return object["metadata"]["labels"].value(std::string(label), "");
}

// True when `object` carries the operator's labels for the request's bundle: only then
// may an existing object of the deterministic name be adopted or overwritten. Anything
// else under that name belongs to someone else.
bool BelongsToBundle(const json& object, const pb::ConvergeRequest& request) {
  return LabelOf(object, hub::kLabelManagedBy) == hub::kManagedByValue &&
         LabelOf(object, hub::kLabelBundleNamespace) == hub::LabelValue(request.bundle().namespace_()) &&
         LabelOf(object, hub::kLabelBundle) == hub::LabelValue(request.bundle().name());
}

absl::Status ForeignObject(absl::string_view kind, absl::string_view ns, absl::string_view name) {
  return absl::FailedPreconditionError(absl::StrCat(
      kind, " \"", name, "\" in namespace \"", ns,
      "\" exists but is not a werf-operator object of this bundle; delete or rename it"));
}

}  // namespace

JobLauncher::JobLauncher(std::shared_ptr<kube::RestClient> client, JobBuilderOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

absl::StatusOr<LaunchResult> JobLauncher::Launch(const pb::ConvergeRequest& request,
                                                 const std::string& job_name) {
  const std::string& ns = request.target_namespace();
  const std::string job_ref = absl::StrCat("Job ", ns, "/", job_name);
  const common::LogFields fields = {{"bundle", request.bundle().name()},
                                    {"namespace", request.bundle().namespace_()},
                                    {"job", job_name},
                                    {"job_namespace", ns},
                                    {"kind", hub::JobKindLabel(request.kind())},
                                    {"tag", request.tag()}};

  absl::StatusOr<json> existing = client_->Get(kube::resources::kJobs, ns, job_name);
  if (existing.ok()) {
    if (!BelongsToBundle(*existing, request)) return ForeignObject("Job", ns, job_name);
    if (absl::Status owned = OwnSecret(*existing); !owned.ok()) {
      common::LogWarning("could not make the adopted Job own its Secret",
                         {{"job", job_name}, {"job_namespace", ns}, {"error", owned.ToString()}});
    }
    common::Log(common::LogLevel::kInfo, "adopted existing werf Job", fields);
    return LaunchResult{.job = *std::move(existing), .created = false};
  }
  if (!kube::IsApiNotFound(existing.status())) {
    return common::WithContext(existing.status(), absl::StrCat("reading ", job_ref));
  }

  ASSIGN_OR_RETURN(const JobInputs inputs, ReadJobInputs(*client_, request));
  ASSIGN_OR_RETURN(const JobManifests manifests, BuildJobManifests(request, job_name, inputs, options_));
  if (manifests.secret) RETURN_IF_ERROR(PutSecret(request, *manifests.secret));

  absl::StatusOr<json> created = client_->Create(kube::resources::kJobs, ns, manifests.job);
  if (kube::IsApiAlreadyExists(created.status())) {
    // Another attempt created it between our Get and Create: the same name means the
    // same inputs, so adopt it and leave it untouched.
    absl::StatusOr<json> raced = client_->Get(kube::resources::kJobs, ns, job_name);
    if (!raced.ok()) return common::WithContext(raced.status(), absl::StrCat("reading ", job_ref));
    if (!BelongsToBundle(*raced, request)) return ForeignObject("Job", ns, job_name);
    if (absl::Status owned = OwnSecret(*raced); !owned.ok()) {
      common::LogWarning("could not make the adopted Job own its Secret",
                         {{"job", job_name}, {"job_namespace", ns}, {"error", owned.ToString()}});
    }
    common::Log(common::LogLevel::kInfo, "adopted werf Job created concurrently", fields);
    return LaunchResult{.job = *std::move(raced), .created = false};
  }
  if (!created.ok()) {
    if (manifests.secret) {
      // Nothing will own it now; remove it rather than leave credentials behind.
      (void)client_->Delete(kube::resources::kSecrets, ns, job_name);
    }
    return common::WithContext(created.status(), absl::StrCat("creating ", job_ref));
  }
  if (manifests.secret) {
    if (absl::Status owned = OwnSecret(*created); !owned.ok()) {
      // The Job runs fine; the Secret is retried on the next adoption. Say so loudly:
      // without an owner it outlives the Job.
      common::LogWarning("could not make the Job own its Secret; it will outlive the Job",
                         {{"job", job_name}, {"job_namespace", ns}, {"error", owned.ToString()}});
    }
  }
  ConvergerMetrics::Get().JobCreated(request.kind());
  common::Log(common::LogLevel::kInfo, "created werf Job", fields);
  return LaunchResult{.job = *std::move(created), .created = true};
}

absl::Status JobLauncher::PutSecret(const pb::ConvergeRequest& request, const json& secret) {
  const std::string ns = MetadataString(secret, "namespace");
  const std::string name = MetadataString(secret, "name");
  const std::string ref = absl::StrCat("Secret ", ns, "/", name);
  absl::StatusOr<json> created = client_->Create(kube::resources::kSecrets, ns, secret);
  if (created.ok()) return absl::OkStatus();
  if (!kube::IsApiAlreadyExists(created.status())) {
    return common::WithContext(created.status(), absl::StrCat("creating ", ref));
  }
  // A leftover of an attempt that died before creating the Job (which does not exist,
  // we checked): give it this attempt's content.
  absl::StatusOr<json> current = client_->Get(kube::resources::kSecrets, ns, name);
  if (!current.ok()) return common::WithContext(current.status(), absl::StrCat("reading ", ref));
  if (!BelongsToBundle(*current, request)) return ForeignObject("Secret", ns, name);
  json replacement = secret;
  replacement["metadata"]["resourceVersion"] = MetadataString(*current, "resourceVersion");
  absl::StatusOr<json> updated = client_->Update(kube::resources::kSecrets, ns, replacement);
  if (!updated.ok()) return common::WithContext(updated.status(), absl::StrCat("replacing ", ref));
  return absl::OkStatus();
}

absl::Status JobLauncher::OwnSecret(const json& job) {
  const std::string ns = MetadataString(job, "namespace");
  const std::string name = MetadataString(job, "name");
  const std::string uid = MetadataString(job, "uid");
  absl::StatusOr<json> secret = client_->Get(kube::resources::kSecrets, ns, name);
  if (kube::IsApiNotFound(secret.status())) return absl::OkStatus();
  if (!secret.ok()) return secret.status();
  // Only the Secret this converger made for the Job: same name, our label.
  const json& labels = (*secret)["metadata"].value("labels", json::object());
  if (labels.value(std::string(hub::kLabelManagedBy), "") != hub::kManagedByValue) return absl::OkStatus();
  for (const json& owner : (*secret)["metadata"].value("ownerReferences", json::array())) {
    if (owner.value("uid", "") == uid) return absl::OkStatus();
  }
  absl::StatusOr<json> patched = client_->Patch(kube::resources::kSecrets, ns, name,
                                                kube::PatchType::kMerge, SecretOwnerPatch(job));
  return patched.status();
}

}  // namespace werf::converger
