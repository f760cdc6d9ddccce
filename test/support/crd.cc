#include "test/support/crd.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/kube/resource.h"
#include "nlohmann/json.hpp"
#include "test/support/admin_client.h"
#include "test/support/run_command.h"

#ifndef WERF_CRD_PATH
#error "WERF_CRD_PATH must name deploy/kustomize/base/crd-werfbundles.yaml"
#endif

namespace werf::test_support {
namespace {

// The one field manager of the tests' CRD installs.
constexpr char kFieldManager[] = "werf-integration-tests";
constexpr absl::Duration kEstablishedTimeout = absl::Seconds(60);

// The CRD's status.conditions; an empty array while it has none.
nlohmann::json Conditions(const nlohmann::json& crd) {
  const auto status = crd.find("status");
  if (status == crd.end() || !status->is_object()) return nlohmann::json::array();
  const auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return nlohmann::json::array();
  return *conditions;
}

bool IsEstablished(const nlohmann::json& conditions) {
  for (const nlohmann::json& condition : conditions) {
    if (condition.is_object() && condition.value("type", "") == "Established" &&
        condition.value("status", "") == "True") {
      return true;
    }
  }
  return false;
}

}  // namespace

const char* WerfBundleCrdPath() { return WERF_CRD_PATH; }

absl::StatusOr<std::string> WerfBundleCrdManifest(
    const std::vector<std::pair<std::string, std::string>>& replacements) {
  std::ifstream in(WerfBundleCrdPath());
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::NotFoundError(absl::StrCat("cannot read the WerfBundle CRD manifest ", WerfBundleCrdPath()));
  }
  std::string manifest = text.str();
  for (const auto& [from, to] : replacements) {
    if (from.empty() || !absl::StrContains(manifest, from)) {
      return absl::FailedPreconditionError(
          absl::StrCat(WerfBundleCrdPath(), " no longer holds \"", from, "\", which a test replaces with \"", to,
                       "\"; update the test"));
    }
    manifest = absl::StrReplaceAll(manifest, {{from, to}});
  }
  return manifest;
}

absl::Status InstallWerfBundleCrd(const WerfBundleCrdOptions& options) {
  ASSIGN_OR_RETURN(const std::shared_ptr<kube::RestClient> client, AdminClient());
  const bool present =
      options.only_if_absent && client->Get(kube::resources::kCustomResourceDefinitions, "", kWerfBundleCrdName).ok();
  if (!present) {
    ASSIGN_OR_RETURN(const std::string manifest, WerfBundleCrdManifest(options.replacements));
    ASSIGN_OR_RETURN(const std::string kubeconfig, AdminKubeconfig());
    RunOptions run;
    run.stdin_data = manifest;
    const absl::StatusOr<std::string> applied =
        RunCommandOk({"kubectl", "--kubeconfig", kubeconfig, "apply", "--server-side", "--force-conflicts",
                      absl::StrCat("--field-manager=", kFieldManager), "-f", "-"},
                     run);
    if (!applied.ok()) {
      return common::WithContext(applied.status(), absl::StrCat("applying the CRD ", kWerfBundleCrdName, " (",
                                                                 WerfBundleCrdPath(), ")"));
    }
  }
  return WaitForCrdEstablished(*client, kWerfBundleCrdName, kEstablishedTimeout);
}

absl::Status WaitForCrdEstablished(kube::RestClient& client, absl::string_view name, absl::Duration timeout,
                                   absl::Duration interval) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last_seen;
  while (true) {
    const absl::StatusOr<nlohmann::json> crd = client.Get(kube::resources::kCustomResourceDefinitions, "", name);
    if (crd.ok()) {
      const nlohmann::json conditions = Conditions(*crd);
      if (IsEstablished(conditions)) return absl::OkStatus();
      last_seen = absl::StrCat("conditions ", conditions.dump());
    } else {
      last_seen = crd.status().ToString();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("the CustomResourceDefinition ", name,
                                                      " is not Established after ", absl::FormatDuration(timeout),
                                                      "; last seen: ", last_seen));
    }
    absl::SleepFor(interval);
  }
}

}  // namespace werf::test_support
