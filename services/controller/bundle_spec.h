// The WerfBundle spec, parsed and validated once per reconcile. Every error names
// the field and says what is wrong, for the bundle's Stalled condition.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_BUNDLE_SPEC_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_BUNDLE_SPEC_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/semver.h"
#include "nlohmann/json.hpp"
#include "re2/re2.h"

namespace werf::controller {

struct ValuesSourceSpec {
  bool is_secret = false;
  std::string name;
  std::string key;  // empty: values.yaml
  bool optional = false;
};

struct BundleSpec {
  // Identity.
  std::string ns;
  std::string name;
  std::string uid;
  int64_t generation = 0;

  bool suspend = false;
  // registry
  std::string repository;
  std::string secret_name;
  std::string ca_secret_name;
  bool insecure = false;
  // registry.plainHTTP: the registry speaks HTTP only (werf needs --insecure-registry,
  // which would turn an HTTPS registry into a failure); implies `insecure`.
  bool plain_http = false;
  absl::Duration poll_interval = absl::Minutes(15);
  std::string constraint_text;  // as written; empty means "*"
  std::optional<common::Constraint> constraint;
  std::string tag_filter_text;
  std::shared_ptr<const re2::RE2> tag_filter;  // null when unset
  // converge
  std::string target_namespace;
  std::string service_account;
  std::string release;
  absl::Duration timeout = absl::Minutes(10);
  std::string image;
  std::string cpu = "1";
  std::string memory = "1Gi";
  int log_retention_days = 7;
  bool drift_enabled = false;
  absl::Duration drift_interval = absl::Minutes(15);
  int drift_max_retries = 3;
  std::vector<ValuesSourceSpec> values_from;
  std::map<std::string, std::string> pod_labels;
  std::map<std::string, std::string> pod_annotations;

  // Hash of everything in the spec that changes what a converge does (not the
  // registry polling settings), for the "configuration changed" decision.
  std::string ConvergeSpecHash() const;
};

inline constexpr size_t kMaxValuesSources = 16;
inline constexpr size_t kMaxPodMetadataEntries = 32;
inline constexpr size_t kMaxPodMetadataValueBytes = 1024;

// Parses a WerfBundle object. InvalidArgument with "spec.<field>: <problem>".
absl::StatusOr<BundleSpec> ParseBundleSpec(const nlohmann::json& bundle);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_BUNDLE_SPEC_H_
