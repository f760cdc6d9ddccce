// The fixture of the end-to-end tests: the four real binaries against the test bed's
// control plane (kwok runs the werf Jobs' pods) and its registries, each test with its
// own namespace and repository, so tests never see each other's bundles.
#ifndef WERF_OPERATOR_TEST_INTEGRATION_E2E_END_TO_END_FIXTURE_H_
#define WERF_OPERATOR_TEST_INTEGRATION_E2E_END_TO_END_FIXTURE_H_

#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "nlohmann/json.hpp"
#include "test/integration/e2e/operator_system.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/crd.h"
#include "test/support/test_namespace.h"
#include "test/support/unique_name.h"

namespace werf::e2e {

using testbed::Kubectl;

using test_support::UniqueName;

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testbed::EnsureTestbed().ok());
    // The CRD with its 1m floor on intervals lowered to 1s: these tests poll every 2s to
    // be quick, while the floor protects real registries. A CRD without that floor fails
    // here (InstallWerfBundleCrd refuses a replacement that matches nothing), so this never
    // silently tests something else.
    ASSERT_OK(test_support::InstallWerfBundleCrd({.replacements = {{"duration('1m')", "duration('1s')"}}}));
    absl::StatusOr<testbed::Registry> registry = testbed::GetRegistry(testbed::RegistryFlavour::kAnonymous);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *registry;
    namespace_ = std::make_unique<test_support::ScopedNamespace>("e2e");
    ns_ = namespace_->name();
    repository_ = absl::StrCat("e2e/", ns_);
    ASSERT_OK(namespace_->status());
    ASSERT_OK(Kubectl({"-n", ns_, "create", "serviceaccount", "deployer"}).status());
  }

  void TearDown() override {
    // Bundles go while their controller still runs (it removes their Jobs and its
    // finalizer); whatever is left loses the finalizer, so no namespace stays
    // Terminating after the test.
    if (system_ != nullptr && system_->Leader() != nullptr) {
      (void)Kubectl({"-n", ns_, "delete", "werfbundles", "--all", "--timeout=30s"});
    }
    system_.reset();
    if (absl::StatusOr<std::string> left = Kubectl({"-n", ns_, "get", "werfbundles", "-o", "name"}); left.ok()) {
      for (absl::string_view name : absl::StrSplit(*left, '\n', absl::SkipEmpty())) {
        (void)Kubectl({"-n", ns_, "patch", std::string(name), "--type=merge", "-p",
                       R"({"metadata":{"finalizers":null}})"});
      }
    }
    namespace_.reset();  // deletes it, without waiting
  }

  // How often the bundle's resourceVersion changes within `window` (polled every 200 ms).
  int ResourceVersionChanges(const std::string& name, absl::Duration window) {
    int changes = 0;
    absl::StatusOr<std::string> last = Field(name, "{.metadata.resourceVersion}");
    for (const absl::Time end = absl::Now() + window; absl::Now() < end;) {
      absl::SleepFor(absl::Milliseconds(200));
      absl::StatusOr<std::string> now = Field(name, "{.metadata.resourceVersion}");
      if (!now.ok()) continue;
      if (last.ok() && *now != *last) {
        ++changes;
        // What changed, for the failure message of whoever counts.
        absl::StatusOr<std::string> status = Field(name, "{.status}");
        std::cerr << "[rv] " << name << " " << *now << " status: " << (status.ok() ? *status : "?") << "\n";
      }
      last = now;
    }
    return changes;
  }

  void StartSystem(SystemOptions options = {}) {
    // Only this test's bundles: other tests' bundles (and their own controllers) stay theirs.
    options.controller_flags.push_back(absl::StrCat("--watch_namespace=", ns_));
    absl::StatusOr<std::unique_ptr<OperatorSystem>> system = OperatorSystem::Start(std::move(options));
    ASSERT_TRUE(system.ok()) << system.status();
    system_ = std::move(*system);
  }

  void Push(const std::vector<std::string>& tags) {
    ASSERT_OK(testbed::PushTags(registry_, repository_, tags));
  }

  // A bundle of `repository_` with the given extra spec fields (YAML lines under converge/registry).
  void ApplyBundle(const std::string& name, const std::string& registry_extra = "",
                   const std::string& converge_extra = "", const std::string& target_ns = "",
                   const std::string& service_account = "deployer", const std::string& spec_extra = "") {
    const std::string yaml = absl::StrCat(
        "apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata: {name: ", name, ", namespace: ",
        ns_, "}\nspec:\n  registry:\n    url: ", registry_.host, "/", repository_,
        "\n    insecure: true\n    pollInterval: 2s\n", registry_extra, "  converge:\n",
        "    serviceAccountName: ", service_account, "\n",
        target_ns.empty() ? "" : absl::StrCat("    targetNamespace: ", target_ns, "\n"),
        converge_extra, spec_extra);
    ASSERT_OK(testbed::ApplyYaml(yaml));
  }

  absl::StatusOr<std::string> Field(const std::string& name, const std::string& jsonpath) {
    return testbed::GetJsonPath({"werfbundle", name, ns_}, jsonpath);
  }

  absl::Status WaitField(const std::string& name, const std::string& jsonpath,
                         const std::string& expected, absl::Duration timeout = absl::Seconds(60)) {
    return testbed::WaitForJsonPath({"werfbundle", name, ns_}, jsonpath, expected, timeout).status();
  }

  // Jobs of a bundle in every namespace, by the operator's label.
  std::vector<std::string> Jobs(const std::string& name) {
    absl::StatusOr<std::string> uid = Field(name, "{.metadata.uid}");
    if (!uid.ok()) return {};
    absl::StatusOr<std::string> out = Kubectl(
        {"get", "jobs", "-A", "-l", absl::StrCat("werf.io/bundle-uid=", *uid), "-o",
         "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}"});
    if (!out.ok()) return {};
    return absl::StrSplit(*out, '\n', absl::SkipEmpty());
  }

  // kwok keeps pods labelled testbed.werf.io/hold=true Running; removing the label
  // lets them complete (see the test bed's README).
  static constexpr char kHold[] = "    podLabels: {testbed.werf.io/hold: \"true\"}\n";
  absl::Status WaitForHeldPod(const std::string& ns) {
    return testbed::WaitFor("a held werf pod to run", [&]() -> absl::StatusOr<bool> {
      absl::StatusOr<std::string> phases = Kubectl(
          {"-n", ns, "get", "pods", "-l", "testbed.werf.io/hold=true", "-o",
           "jsonpath={.items[*].status.phase}"});
      return phases.ok() && phases->find("Running") != std::string::npos;
    }, absl::Seconds(60));
  }
  absl::Status ReleaseHeldPods(const std::string& ns) {
    return Kubectl({"-n", ns, "label", "pods", "-l", "testbed.werf.io/hold=true",
                    "testbed.werf.io/hold-"}).status();
  }

  // The assignment keys held by the running pollers that contain `text` (one entry per
  // poller holding it), from each poller's ListAssignments, as an operator would ask.
  std::multiset<std::string> AssignmentKeys(const std::string& text) {
    std::multiset<std::string> keys;
    for (auto& poller : system_->pollers()) {
      if (!poller->Running()) continue;
      absl::StatusOr<std::string> out = testbed::RunCommandOk(
          {"grpcurl", "-plaintext", poller->grpc_address(), "werf.operator.v1.PollerService/ListAssignments"});
      if (!out.ok()) continue;
      const nlohmann::json response = nlohmann::json::parse(*out, nullptr, false);
      if (!response.is_object()) continue;
      for (const auto& a : response.value("assignments", nlohmann::json::array())) {
        const std::string key = a.value("key", "");
        if (key.find(text) != std::string::npos) keys.insert(key);
      }
    }
    return keys;
  }

  std::unique_ptr<OperatorSystem> system_;
  testbed::Registry registry_;
  std::unique_ptr<test_support::ScopedNamespace> namespace_;  // the test's own; ns_ is its name
  std::string ns_;
  std::string repository_;
};

}  // namespace werf::e2e

#endif  // WERF_OPERATOR_TEST_INTEGRATION_E2E_END_TO_END_FIXTURE_H_
