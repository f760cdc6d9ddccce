#include "services/controller/requests.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/hashing.h"
#include "libs/hub/job_name.h"

namespace werf::controller {

namespace pb = ::werf::operator_::v1;
using ::google::protobuf::util::TimeUtil;

namespace {

pb::RegistryAccess AccessFor(const BundleSpec& spec, const std::string& secrets_version) {
  pb::RegistryAccess access;
  if (!spec.secret_name.empty()) {
    access.mutable_credentials_secret()->set_namespace_(spec.ns);
    access.mutable_credentials_secret()->set_name(spec.secret_name);
  }
  if (!spec.ca_secret_name.empty()) {
    access.mutable_ca_secret()->set_namespace_(spec.ns);
    access.mutable_ca_secret()->set_name(spec.ca_secret_name);
  }
  access.set_insecure(spec.insecure);
  access.set_plain_http(spec.plain_http);
  access.set_secrets_version(secrets_version);
  return access;
}

}  // namespace

std::string RepositoryKey(const BundleSpec& spec, const std::string& access_identity) {
  std::string key = spec.repository;
  const bool has_secrets = !spec.secret_name.empty() || !spec.ca_secret_name.empty();
  if (has_secrets && !access_identity.empty()) {
    absl::StrAppend(&key, "#access=", access_identity);
  } else {
    if (!spec.secret_name.empty()) absl::StrAppend(&key, "#", spec.ns, "/", spec.secret_name);
    if (!spec.ca_secret_name.empty()) absl::StrAppend(&key, "!ca=", spec.ns, "/", spec.ca_secret_name);
  }
  if (spec.insecure) absl::StrAppend(&key, "!insecure");
  return key;
}

pb::TrackRepository TrackFor(const BundleSpec& spec, const std::string& watched_tag, const ClusterFacts& cluster) {
  pb::TrackRepository track;
  track.set_key(RepositoryKey(spec, cluster.registry_access_identity));
  track.set_repository(spec.repository);
  *track.mutable_access() = AccessFor(spec, cluster.registry_secrets_version);
  *track.mutable_poll_interval() =
      TimeUtil::MillisecondsToDuration(absl::ToInt64Milliseconds(spec.poll_interval));
  if (!watched_tag.empty()) track.add_watched_tags(watched_tag);
  return track;
}

std::string ConfigHash(const BundleSpec& spec, const std::string& values_hash) {
  return common::ShortHash(spec.ConvergeSpecHash() + "/" + values_hash);
}

std::string JobNameFor(const BundleSpec& spec, api::JobKind kind, int64_t sequence,
                       const std::string& tag, const std::string& digest,
                       const std::string& config_hash) {
  return hub::JobName({.bundle_namespace = spec.ns,
                       .bundle_name = spec.name,
                       .bundle_uid = spec.uid,
                       .tag = tag,
                       .digest = digest,
                       .config_hash = config_hash,
                       .kind = kind == api::JobKind::kDriftCheck ? pb::JOB_KIND_DRIFT_CHECK
                                                                 : pb::JOB_KIND_APPLY,
                       .attempt = sequence});
}

pb::ConvergeRequest ConvergeRequestFor(const BundleSpec& spec, const api::ActiveJob& job,
                                       const std::string& values_hash, int64_t generation) {
  pb::ConvergeRequest request;
  request.set_job_name(job.name);
  request.mutable_bundle()->set_namespace_(spec.ns);
  request.mutable_bundle()->set_name(spec.name);
  request.mutable_bundle()->set_uid(spec.uid);
  request.set_kind(job.kind == api::JobKind::kDriftCheck ? pb::JOB_KIND_DRIFT_CHECK
                                                         : pb::JOB_KIND_APPLY);
  request.set_repository(spec.repository);
  request.set_tag(job.tag);
  request.set_digest(job.digest);
  request.set_release(spec.release);
  request.set_target_namespace(spec.target_namespace);
  request.set_service_account_name(spec.service_account);
  request.set_image(spec.image);
  *request.mutable_timeout() =
      TimeUtil::MillisecondsToDuration(absl::ToInt64Milliseconds(spec.timeout));
  request.mutable_resources()->set_cpu(spec.cpu);
  request.mutable_resources()->set_memory(spec.memory);
  request.set_log_retention_days(spec.log_retention_days);
  *request.mutable_access() = AccessFor(spec, /*secrets_version=*/"");  // the converger reads them once
  for (const ValuesSourceSpec& source : spec.values_from) {
    pb::ValuesSource* values = request.add_values_from();
    values->set_kind(source.is_secret ? pb::VALUES_SOURCE_KIND_SECRET
                                      : pb::VALUES_SOURCE_KIND_CONFIG_MAP);
    values->mutable_object()->set_namespace_(spec.ns);
    values->mutable_object()->set_name(source.name);
    values->set_key(source.key);
    values->set_optional(source.optional);
  }
  request.set_values_hash(values_hash);
  request.set_config_hash(job.config_hash);
  request.mutable_pod_labels()->insert(spec.pod_labels.begin(), spec.pod_labels.end());
  request.mutable_pod_annotations()->insert(spec.pod_annotations.begin(), spec.pod_annotations.end());
  request.set_generation(generation);
  return request;
}

}  // namespace werf::controller
