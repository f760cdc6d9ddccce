#include "services/converger/job_builder.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"
#include "libs/hub/job_labels.h"
#include "libs/hub/job_name.h"
#include "services/converger/redaction.h"
#include "services/converger/werf_cli_contract.h"
#include "services/converger/werf_entrypoint.h"

namespace werf::converger {
namespace {

using nlohmann::json;

constexpr char kDockerConfigKey[] = "config.json";
constexpr char kRegistryCaKey[] = "ca.crt";

std::string ValuesKey(size_t index) { return absl::StrCat("values-", index, ".yaml"); }
std::string ValuesPath(size_t index) { return absl::StrCat(kValuesDir, "/", index, ".yaml"); }

bool IsEnvName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

bool IsDnsLabel(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!absl::ascii_isalnum(name.front()) || !absl::ascii_isalnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
  });
}

absl::Duration Timeout(const pb::ConvergeRequest& request, const JobBuilderOptions& options) {
  const absl::Duration timeout =
      absl::Seconds(request.timeout().seconds()) + absl::Nanoseconds(request.timeout().nanos());
  return timeout > absl::ZeroDuration() ? timeout : options.default_timeout;
}

int64_t CeilSeconds(absl::Duration duration) {
  return std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(duration, absl::Seconds(1))));
}

json Labels(const pb::ConvergeRequest& request) {
  return {{std::string(hub::kLabelManagedBy), std::string(hub::kManagedByValue)},
          {std::string(hub::kLabelBundle), hub::LabelValue(request.bundle().name())},
          {std::string(hub::kLabelBundleNamespace), hub::LabelValue(request.bundle().namespace_())},
          {std::string(hub::kLabelBundleUid), hub::LabelValue(request.bundle().uid())},
          {std::string(hub::kLabelJobKind), std::string(hub::JobKindLabel(request.kind()))}};
}

json Annotations(const pb::ConvergeRequest& request) {
  return {{std::string(hub::kAnnotationTag), request.tag()},
          {std::string(hub::kAnnotationDigest), request.digest()},
          {std::string(hub::kAnnotationConfigHash), request.config_hash()},
          {std::string(hub::kAnnotationRepository), request.repository()},
          {std::string(hub::kAnnotationGeneration), absl::StrCat(request.generation())},
          {std::string(hub::kAnnotationBundle),
           absl::StrCat(request.bundle().namespace_(), "/", request.bundle().name())}};
}

// Later entries win per name; the order of first appearance is kept so the pod spec is
// stable (a proto map has no order, hence the sort of the request's env).
json Environment(const pb::ConvergeRequest& request, const JobInputs& inputs,
                 const JobBuilderOptions& options) {
  std::vector<std::pair<std::string, std::string>> entries = options.job_env;
  const std::map<std::string, std::string> request_env(request.env().begin(), request.env().end());
  entries.insert(entries.end(), request_env.begin(), request_env.end());
  // The converger's own variables (PinnedWerfEnv; naming them elsewhere is refused):
  // werf writes $HOME/.werf, $HOME/.cache/helm and $TMPDIR, and $WERF_HOME and
  // $WERF_TMP_DIR would win over both, so all four point at the emptyDirs; werf's
  // telemetry is on by default and has no business in a cluster's deploy Jobs.
  entries.emplace_back("HOME", kHomeDir);
  entries.emplace_back("WERF_HOME", kWerfHomeDir);
  entries.emplace_back("TMPDIR", kTmpDir);
  entries.emplace_back("WERF_TMP_DIR", kTmpDir);
  entries.emplace_back("WERF_TELEMETRY", "false");
  if (!inputs.docker_config_json.empty()) {
    entries.emplace_back("DOCKER_CONFIG", kDockerConfigDir);
  }
  if (!inputs.registry_ca_pem.empty()) {
    // Go reads every file of each SSL_CERT_DIR directory in addition to the default
    // bundle file, so the registry's CA is added to the system roots, not substituted.
    entries.emplace_back("SSL_CERT_DIR", absl::StrCat(kRegistryCaDir, ":/etc/ssl/certs"));
  }
  std::vector<std::string> order;
  std::map<std::string, std::string> values;
  for (auto& [name, value] : entries) {
    if (!values.contains(name)) order.push_back(name);
    values[name] = value;
  }
  json env = json::array();
  for (const std::string& name : order) env.push_back({{"name", name}, {"value", values[name]}});
  return env;
}

json SecretVolume(const std::string& volume, const std::string& secret_name, json items) {
  return {{"name", volume},
          {"secret",
           {{"secretName", secret_name}, {"defaultMode", 0440}, {"items", std::move(items)}}}};
}

}  // namespace

absl::Status ValidateConvergeRequest(const pb::ConvergeRequest& request) {
  const auto missing = [](absl::string_view field) {
    return absl::InvalidArgumentError(absl::StrCat("converge request: ", field, " is empty"));
  };
  if (request.bundle().namespace_().empty()) return missing("bundle.namespace");
  if (request.bundle().name().empty()) return missing("bundle.name");
  if (request.kind() != pb::JOB_KIND_APPLY && request.kind() != pb::JOB_KIND_DRIFT_CHECK) {
    return absl::InvalidArgumentError(absl::StrCat("converge request: kind ",
                                                   pb::JobKind_Name(request.kind()),
                                                   " is neither apply nor drift check"));
  }
  if (request.repository().empty()) return missing("repository");
  if (request.tag().empty()) return missing("tag");
  if (request.release().empty()) return missing("release");
  if (request.target_namespace().empty()) return missing("target_namespace");
  if (request.service_account_name().empty()) return missing("service_account_name");
  if (!request.job_name().empty() && !IsDnsLabel(request.job_name())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "converge request: job_name \"", request.job_name(),
        "\" is not a DNS label (at most 63 of [a-z0-9-], alphanumeric at both ends)"));
  }
  if (request.timeout().seconds() < 0 || request.timeout().nanos() < 0) {
    return absl::InvalidArgumentError("converge request: timeout is negative");
  }
  for (int i = 0; i < request.values_from_size(); ++i) {
    const pb::ValuesSource& source = request.values_from(i);
    if (source.kind() != pb::VALUES_SOURCE_KIND_CONFIG_MAP &&
        source.kind() != pb::VALUES_SOURCE_KIND_SECRET) {
      return absl::InvalidArgumentError(
          absl::StrCat("converge request: values_from[", i, "] has no kind"));
    }
    if (source.object().name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("converge request: values_from[", i, "] names no object"));
    }
  }
  for (const auto& [name, value] : request.env()) {
    if (!IsEnvName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("converge request: env name \"", name, "\" is not a variable name"));
    }
    RETURN_IF_ERROR(CheckWerfEnvName(name, "converge request: env"));
  }
  return absl::OkStatus();
}

std::string ResolveJobName(const pb::ConvergeRequest& request, absl::Time now) {
  if (!request.job_name().empty()) return request.job_name();
  if (request.kind() == pb::JOB_KIND_DRIFT_CHECK) {
    return hub::JobNameForRequest(request, absl::ToUnixSeconds(now) / 60);
  }
  return hub::JobNameForRequest(request);
}

std::vector<std::string> WerfArgs(const pb::ConvergeRequest& request, size_t values_files,
                                  const JobBuilderOptions& options) {
  const bool drift_check = request.kind() == pb::JOB_KIND_DRIFT_CHECK;
  std::vector<std::string> args;
  if (drift_check) {
    // Exit code 0: in sync; 2: the cluster differs; 1: error (job_observation.h).
    args = {"bundle", "plan", "--exit-code"};
  } else {
    args = {"bundle", "apply"};
  }
  args.insert(args.end(), {"--repo", request.repository(), "--tag", request.tag(), "--release",
                           request.release(), "--namespace", request.target_namespace(),
                           "--log-color-mode=off", "--log-pretty=false"});
  if (!drift_check) {
    // `bundle plan` has neither a tracking timeout nor a deploy report.
    args.insert(args.end(), {"-t", absl::StrCat(CeilSeconds(Timeout(request, options))),
                             "--save-deploy-report", "--deploy-report-path", kReportPath});
  }
  for (size_t i = 0; i < values_files; ++i) {
    args.insert(args.end(), {"--values", ValuesPath(i)});
  }
  // werf's --insecure-registry is plain HTTP to every host, with no HTTPS attempt, so it
  // is only for a registry that speaks no TLS; an HTTPS registry whose certificate is
  // not to be checked needs exactly --skip-tls-verify-registry.
  if (request.access().plain_http()) {
    args.push_back("--insecure-registry");
  } else if (request.access().insecure()) {
    args.push_back("--skip-tls-verify-registry");
  }
  return args;
}

std::optional<int64_t> ActiveDeadlineSeconds(const pb::ConvergeRequest& request,
                                             const JobBuilderOptions& options) {
  const int64_t timeout = CeilSeconds(Timeout(request, options));
  const int64_t margin = CeilSeconds(options.deadline_margin);
  if (request.kind() == pb::JOB_KIND_DRIFT_CHECK) return timeout + margin;
  if (options.deadline_factor <= 0) return std::nullopt;
  return options.deadline_factor * timeout + margin;
}

absl::StatusOr<JobManifests> BuildJobManifests(const pb::ConvergeRequest& request,
                                               absl::string_view job_name,
                                               const JobInputs& inputs,
                                               const JobBuilderOptions& options) {
  RETURN_IF_ERROR(ValidateConvergeRequest(request));
  if (!IsDnsLabel(job_name)) {
    return absl::InvalidArgumentError(absl::StrCat("Job name \"", job_name, "\" is not a DNS label"));
  }
  for (const auto& [name, value] : options.job_env) {
    RETURN_IF_ERROR(CheckWerfEnvName(name, "--job_env"));
  }
  JobManifests manifests{.name = std::string(job_name),
                         .ns = request.target_namespace(),
                         .job = json::object(),
                         .secret = std::nullopt};
  const json labels = Labels(request);

  json volumes = json::array({{{"name", "home"}, {"emptyDir", json::object()}},
                              {{"name", "tmp"}, {"emptyDir", json::object()}},
                              {{"name", "report"}, {"emptyDir", json::object()}}});
  json mounts = json::array({{{"name", "home"}, {"mountPath", kHomeDir}},
                             {{"name", "tmp"}, {"mountPath", kTmpDir}},
                             {{"name", "report"}, {"mountPath", kReportDir}}});
  if (!inputs.empty()) {
    json data = json::object();
    json value_items = json::array();
    // Key names only: which files the monitor must redact from the Job's logs.
    std::vector<std::string> secret_keys;
    for (size_t i = 0; i < inputs.values.size(); ++i) {
      data[ValuesKey(i)] = absl::Base64Escape(inputs.values[i]);
      if (i < inputs.values_from_secret.size() && inputs.values_from_secret[i]) secret_keys.push_back(ValuesKey(i));
      value_items.push_back({{"key", ValuesKey(i)}, {"path", absl::StrCat(i, ".yaml")}});
    }
    if (!value_items.empty()) {
      volumes.push_back(SecretVolume("values", manifests.name, std::move(value_items)));
      mounts.push_back({{"name", "values"}, {"mountPath", kValuesDir}, {"readOnly", true}});
    }
    if (!inputs.docker_config_json.empty()) {
      data[std::string(kDockerConfigKey)] = absl::Base64Escape(inputs.docker_config_json);
      secret_keys.push_back(std::string(kDockerConfigKey));
      volumes.push_back(SecretVolume("docker-config", manifests.name,
                                     json::array({{{"key", kDockerConfigKey}, {"path", kDockerConfigKey}}})));
      mounts.push_back({{"name", "docker-config"}, {"mountPath", kDockerConfigDir}, {"readOnly", true}});
    }
    if (!inputs.registry_ca_pem.empty()) {
      data[std::string(kRegistryCaKey)] = absl::Base64Escape(inputs.registry_ca_pem);
      volumes.push_back(SecretVolume("registry-ca", manifests.name,
                                     json::array({{{"key", kRegistryCaKey}, {"path", kRegistryCaKey}}})));
      mounts.push_back({{"name", "registry-ca"}, {"mountPath", kRegistryCaDir}, {"readOnly", true}});
    }
    manifests.secret = json{
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"type", "Opaque"},
        {"metadata",
         {{"name", manifests.name},
          {"namespace", request.target_namespace()},
          {"labels", labels},
          {"annotations", {{kSecretKeysAnnotation, absl::StrJoin(secret_keys, ",")}}}}},
        {"data", std::move(data)}};
  }

  const std::string cpu = request.resources().cpu().empty() ? options.default_cpu : request.resources().cpu();
  const std::string memory =
      request.resources().memory().empty() ? options.default_memory : request.resources().memory();
  const json resources = {{"cpu", cpu}, {"memory", memory}};

  json container = {
      {"name", kWerfContainer},
      {"image", request.image().empty() ? options.default_image : request.image()},
      // The entrypoint runs werf with the args and turns its report into the
      // termination message; with no report (werf failed early) the message stays empty
      // and FallbackToLogsOnError makes the log tail the message instead.
      {"command", EntrypointCommand({.report_path = kReportPath,
                                     .termination_message_path = kTerminationLog,
                                     .max_message_bytes = kTerminationMessageBytes})},
      {"args", WerfArgs(request, inputs.values.size(), options)},
      {"env", Environment(request, inputs, options)},
      {"resources", {{"requests", resources}, {"limits", resources}}},
      {"volumeMounts", std::move(mounts)},
      {"terminationMessagePath", kTerminationLog},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"runAsNonRoot", true},
        {"capabilities", {{"drop", json::array({"ALL"})}}}}}};

  // The bundle's pod labels first: the operator's labels must win, selectors depend on them.
  json pod_labels = json::object();
  for (const auto& [key, value] : request.pod_labels()) pod_labels[key] = value;
  for (const auto& [key, value] : labels.items()) pod_labels[key] = value;
  json pod_annotations = json::object();
  for (const auto& [key, value] : request.pod_annotations()) pod_annotations[key] = value;

  const int64_t retention = static_cast<int64_t>(std::max<uint32_t>(1, request.log_retention_days())) * 86400;
  int64_t ttl = retention;
  if (options.ttl_seconds_override > 0) {
    ttl = options.ttl_seconds_override;
  } else if (request.kind() == pb::JOB_KIND_DRIFT_CHECK) {
    ttl = std::min(retention, std::max<int64_t>(1, absl::ToInt64Seconds(options.drift_check_ttl)));
  }
  json metadata = {{"name", manifests.name},
                   {"namespace", request.target_namespace()},
                   {"labels", labels},
                   {"annotations", Annotations(request)}};
  // In the bundle's own namespace the Job is garbage collected with the bundle; in
  // other namespaces ownerReferences cannot point across, and the controller's
  // finalizer removes the Jobs by label.
  if (request.target_namespace() == request.bundle().namespace_() && !request.bundle().uid().empty()) {
    metadata["ownerReferences"] = json::array({{{"apiVersion", "werf.io/v1alpha1"},
                                                {"kind", "WerfBundle"},
                                                {"name", request.bundle().name()},
                                                {"uid", request.bundle().uid()},
                                                {"controller", true},
                                                {"blockOwnerDeletion", false}}});
  }
  manifests.job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", std::move(metadata)},
      {"spec",
       {// Retries are the controller's decision (with backoff and a failure count).
        {"backoffLimit", 0},
        {"ttlSecondsAfterFinished", ttl},
        {"template",
         {{"metadata", {{"labels", std::move(pod_labels)}, {"annotations", std::move(pod_annotations)}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"serviceAccountName", request.service_account_name()},
            {"enableServiceLinks", false},
            {"securityContext",
             {{"runAsNonRoot", true},
              {"runAsUser", kWerfUid},
              {"runAsGroup", kWerfUid},
              {"fsGroup", kWerfUid},
              {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
            {"containers", json::array({std::move(container)})},
            {"volumes", std::move(volumes)}}}}}}}};
  if (std::optional<int64_t> deadline = ActiveDeadlineSeconds(request, options)) {
    manifests.job["spec"]["activeDeadlineSeconds"] = *deadline;
  }
  return manifests;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseJobEnv(absl::string_view text) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t equals = entry.find('=');
    if (equals == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--job_env: \"", entry, "\" is not KEY=VALUE"));
    }
    const absl::string_view name = entry.substr(0, equals);
    if (!IsEnvName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--job_env: \"", name, "\" is not an environment variable name"));
    }
    RETURN_IF_ERROR(CheckWerfEnvName(name, "--job_env"));
    entries.emplace_back(std::string(name), std::string(entry.substr(equals + 1)));
  }
  return entries;
}

json SecretOwnerPatch(const json& job) {
  const json& metadata = job.at("metadata");
  return {{"metadata",
           {{"ownerReferences",
             json::array({{{"apiVersion", "batch/v1"},
                           {"kind", "Job"},
                           {"name", metadata.value("name", "")},
                           {"uid", metadata.value("uid", "")},
                           {"controller", true},
                           {"blockOwnerDeletion", false}}})}}}};
}

}  // namespace werf::converger
