#include "services/controller/bundle_spec.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/duration.h"
#include "libs/common/status_macros.h"
#include "libs/common/hashing.h"

namespace werf::controller {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("spec.", field, ": ", problem));
}

// Reads an optional string field; a value of another type is an error.
absl::StatusOr<std::string> OptionalString(const nlohmann::json& object, const char* key,
                                           absl::string_view field) {
  if (!object.is_object() || !object.contains(key) || object[key].is_null()) return std::string();
  if (!object[key].is_string()) return FieldError(field, "must be a string");
  return object[key].get<std::string>();
}

absl::StatusOr<absl::Duration> OptionalDuration(const nlohmann::json& object, const char* key,
                                                absl::string_view field, absl::Duration fallback) {
  ASSIGN_OR_RETURN(std::string text, OptionalString(object, key, field));
  if (text.empty()) return fallback;
  absl::StatusOr<absl::Duration> parsed = common::ParseGoDuration(text);
  if (!parsed.ok()) return FieldError(field, parsed.status().message());
  if (*parsed <= absl::ZeroDuration()) return FieldError(field, "must be positive");
  return *parsed;
}

std::map<std::string, std::string> StringMap(const nlohmann::json& object, const char* key) {
  std::map<std::string, std::string> out;
  if (!object.is_object() || !object.contains(key) || !object[key].is_object()) return out;
  for (const auto& [k, v] : object[key].items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

absl::StatusOr<BundleSpec> ParseBundleSpec(const nlohmann::json& bundle) {
  BundleSpec spec;
  const nlohmann::json& metadata = bundle.value("metadata", nlohmann::json::object());
  spec.ns = metadata.value("namespace", "");
  spec.name = metadata.value("name", "");
  spec.uid = metadata.value("uid", "");
  spec.generation = metadata.value("generation", int64_t{0});

  const nlohmann::json& body = bundle.value("spec", nlohmann::json::object());
  if (!body.is_object()) return FieldError("", "must be an object");
  spec.suspend = body.value("suspend", false);

  const nlohmann::json& registry = body.value("registry", nlohmann::json::object());
  ASSIGN_OR_RETURN(spec.repository, OptionalString(registry, "url", "registry.url"));
  if (spec.repository.empty()) return FieldError("registry.url", "is required");
  if (registry.contains("secretRef")) {
    ASSIGN_OR_RETURN(spec.secret_name,
                     OptionalString(registry["secretRef"], "name", "registry.secretRef.name"));
  }
  if (registry.contains("caSecretRef")) {
    ASSIGN_OR_RETURN(spec.ca_secret_name,
                     OptionalString(registry["caSecretRef"], "name", "registry.caSecretRef.name"));
  }
  spec.plain_http = registry.value("plainHTTP", false);
  spec.insecure = registry.value("insecure", false) || spec.plain_http;
  ASSIGN_OR_RETURN(spec.poll_interval, OptionalDuration(registry, "pollInterval",
                                                        "registry.pollInterval", absl::Minutes(15)));
  ASSIGN_OR_RETURN(spec.constraint_text,
                   OptionalString(registry, "versionConstraint", "registry.versionConstraint"));
  absl::StatusOr<common::Constraint> constraint =
      common::ParseConstraint(spec.constraint_text.empty() ? "*" : spec.constraint_text);
  if (!constraint.ok()) return FieldError("registry.versionConstraint", constraint.status().message());
  spec.constraint = std::move(*constraint);
  ASSIGN_OR_RETURN(spec.tag_filter_text, OptionalString(registry, "tagFilter", "registry.tagFilter"));
  if (!spec.tag_filter_text.empty()) {
    auto filter = std::make_shared<re2::RE2>(spec.tag_filter_text, re2::RE2::Quiet);
    if (!filter->ok()) {
      return FieldError("registry.tagFilter",
                        absl::StrCat("invalid regular expression \"", spec.tag_filter_text,
                                     "\": ", filter->error()));
    }
    spec.tag_filter = std::move(filter);
  }

  const nlohmann::json& converge = body.value("converge", nlohmann::json::object());
  ASSIGN_OR_RETURN(spec.target_namespace,
                   OptionalString(converge, "targetNamespace", "converge.targetNamespace"));
  if (spec.target_namespace.empty()) spec.target_namespace = spec.ns;
  ASSIGN_OR_RETURN(spec.service_account,
                   OptionalString(converge, "serviceAccountName", "converge.serviceAccountName"));
  if (spec.service_account.empty()) return FieldError("converge.serviceAccountName", "is required");
  ASSIGN_OR_RETURN(spec.release, OptionalString(converge, "release", "converge.release"));
  if (spec.release.empty()) spec.release = spec.name;
  ASSIGN_OR_RETURN(spec.timeout,
                   OptionalDuration(converge, "timeout", "converge.timeout", absl::Minutes(10)));
  ASSIGN_OR_RETURN(spec.image, OptionalString(converge, "image", "converge.image"));
  if (converge.contains("resourceLimits") && converge["resourceLimits"].is_object()) {
    spec.cpu = converge["resourceLimits"].value("cpu", spec.cpu);
    spec.memory = converge["resourceLimits"].value("memory", spec.memory);
  }
  spec.log_retention_days = converge.value("logRetentionDays", 7);
  if (spec.log_retention_days < 1) return FieldError("converge.logRetentionDays", "must be at least 1");
  if (converge.contains("driftDetection") && converge["driftDetection"].is_object()) {
    const nlohmann::json& drift = converge["driftDetection"];
    spec.drift_enabled = drift.value("enabled", false);
    ASSIGN_OR_RETURN(spec.drift_interval,
                     OptionalDuration(drift, "interval", "converge.driftDetection.interval",
                                      absl::Minutes(15)));
    spec.drift_max_retries = drift.value("maxRetries", 3);
  }
  if (converge.contains("valuesFrom")) {
    if (!converge["valuesFrom"].is_array()) return FieldError("converge.valuesFrom", "must be a list");
    int index = 0;
    for (const nlohmann::json& entry : converge["valuesFrom"]) {
      const std::string field = absl::StrCat("converge.valuesFrom[", index++, "]");
      const bool has_config_map = entry.contains("configMapRef");
      const bool has_secret = entry.contains("secretRef");
      if (has_config_map == has_secret) {
        return FieldError(field, "set exactly one of configMapRef or secretRef");
      }
      const nlohmann::json& ref = has_secret ? entry["secretRef"] : entry["configMapRef"];
      ValuesSourceSpec source;
      source.is_secret = has_secret;
      ASSIGN_OR_RETURN(source.name, OptionalString(ref, "name", field + ".name"));
      if (source.name.empty()) return FieldError(field, "needs a name");
      ASSIGN_OR_RETURN(source.key, OptionalString(ref, "key", field + ".key"));
      source.optional = entry.value("optional", false);
      spec.values_from.push_back(std::move(source));
    }
  }
  spec.pod_labels = StringMap(converge, "podLabels");
  spec.pod_annotations = StringMap(converge, "podAnnotations");
  // Bounds a tenant cannot exceed (the CRD says the same where it can): every field
  // here is copied into each Job, and a Job object is at most about 1.5 MB.
  if (spec.values_from.size() > kMaxValuesSources) {
    return FieldError("converge.valuesFrom", absl::StrCat("at most ", kMaxValuesSources, " entries"));
  }
  for (const auto& [field, map] : {std::pair{"converge.podLabels", &spec.pod_labels},
                                   std::pair{"converge.podAnnotations", &spec.pod_annotations}}) {
    if (map->size() > kMaxPodMetadataEntries) {
      return FieldError(field, absl::StrCat("at most ", kMaxPodMetadataEntries, " entries"));
    }
    for (const auto& [key, value] : *map) {
      if (value.size() > kMaxPodMetadataValueBytes) {
        return FieldError(absl::StrCat(field, ".", key),
                          absl::StrCat("at most ", kMaxPodMetadataValueBytes, " bytes"));
      }
    }
  }
  return spec;
}

std::string BundleSpec::ConvergeSpecHash() const {
  std::vector<std::string> parts = {
      repository, insecure ? "insecure" : "", secret_name, ca_secret_name, target_namespace,
      service_account, release, absl::FormatDuration(timeout), image, cpu, memory,
      absl::StrCat(log_retention_days)};
  // Only when set, so the hash (and Job names) of every other bundle stay as they were.
  if (plain_http) parts.push_back("plain-http");
  for (const ValuesSourceSpec& source : values_from) {
    parts.push_back(absl::StrCat(source.is_secret ? "secret/" : "configmap/", source.name, "/",
                                 source.key, source.optional ? "?" : ""));
  }
  for (const auto& [k, v] : pod_labels) parts.push_back(absl::StrCat("label:", k, "=", v));
  for (const auto& [k, v] : pod_annotations) parts.push_back(absl::StrCat("annotation:", k, "=", v));
  return common::ShortHash(absl::StrJoin(parts, "\x1f"));
}

}  // namespace werf::controller
