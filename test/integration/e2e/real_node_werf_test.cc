// End to end on the test bed's real node (ctest label `node`): the operator installed the way
// users install it (`kubectl apply -k` of deploy/kustomize/testbed, images from `make images`),
// its four services running as real pods, and werf's Jobs running the werf stand-in (nelm +
// oras, test/integration/testbed/werf-standin) on the real node against real bundles:
// - hello deploys, its pod answers HTTP through its Service with the values of a ConfigMap and
//   a Secret, status says the report's revision and counts; a new tag upgrades it (revision 2);
//   hand scaling is found by the drift check, corrected, and found and corrected again;
// - broken fails with nelm's own error and a Warning Event, the status' log tail is the pod
//   log's; other bundles stay Synced; a fixed tag recovers; a Secret value nelm prints is not in
//   anything the operator reports (status, Events, Jobs, Pods, the services' logs);
// - big (150 resources) syncs, its report parsed although larger than a termination message;
// - basic auth, token auth and the TLS registry with its CA work through the mounted files.
//
// Placement: the test's namespaces carry the PodNodeSelector / PodTolerationRestriction
// annotations (the test bed's API server has both plugins with the real node), so werf's Jobs
// and the apps they deploy land on the real node without any pod spec asking.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/webhook/signature.h"
#include "nlohmann/json.hpp"
#include "test/integration/e2e/http_receiver.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/test_namespace.h"

#ifndef WERF_SOURCE_DIR
#error "WERF_SOURCE_DIR must name the source tree"
#endif
#ifndef WERF_BUILD_DIR
#error "WERF_BUILD_DIR must name the build tree"
#endif

namespace werf::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace tb = ::werf::testbed;

constexpr char kSystemNs[] = "werf-operator-system";
const std::string kSource = WERF_SOURCE_DIR;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

tb::RunOptions Timeout(absl::Duration timeout) {
  tb::RunOptions options;
  options.timeout = timeout;
  return options;
}

bool HasRealNode() { return !tb::Env().Value("WERF_TESTBED_REAL_NODE").empty(); }

// What the install failed with, for every test (the suite installs once).
std::string* install_error = nullptr;
bool installed = false;

class RealNodeWerfTest : public ::testing::Test {
 protected:
  // Installs the operator once: the images, then `kubectl apply -k` of an overlay on
  // deploy/kustomize/testbed that only shortens the controller's failure backoff (2s, so a
  // broken bundle's retries fit a test) and its drift interval floor (the CRD keeps its 1m).
  static void SetUpTestSuite() {
    install_error = new std::string;
    if (!tb::EnsureTestbed().ok() || !HasRealNode()) return;
    tb::RunOptions images = Timeout(absl::Minutes(15));
    images.env = {{"IMAGES_SKIP_CMAKE", "1"}, {"BUILD_DIR", WERF_BUILD_DIR}};
    const absl::Time started = absl::Now();
    absl::StatusOr<tb::CommandResult> built = tb::RunCommand({kSource + "/scripts/build-images.sh"}, images);
    if (!built.ok() || built->exit_code != 0) {
      *install_error = absl::StrCat("scripts/build-images.sh failed: ",
                                    built.ok() ? built->err : built.status().ToString());
      return;
    }
    std::cerr << "[install] images built and loaded in " << absl::Now() - started << "\n";
    const std::string overlay = absl::StrCat(WERF_BUILD_DIR, "/real-node-werf-overlay");
    std::filesystem::create_directories(overlay);
    const std::string base = std::filesystem::relative(kSource + "/deploy/kustomize/testbed", overlay).string();
    std::ofstream(overlay + "/kustomization.yaml")
        << "# Written by real_node_werf_test: deploy/kustomize/testbed with test timings.\n"
           "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - "
        << base
        << "\npatches:\n  - target: {kind: Deployment, name: werf-controller}\n    patch: |-\n"
           "      - {op: add, path: /spec/template/spec/containers/0/args/-, value: --failure_backoff_base=2s}\n"
           "      - {op: add, path: /spec/template/spec/containers/0/args/-, value: --failure_backoff_max=8s}\n";
    if (absl::StatusOr<std::string> applied = tb::Kubectl({"apply", "-k", overlay}, Timeout(absl::Minutes(2)));
        !applied.ok()) {
      *install_error = absl::StrCat("kubectl apply -k: ", applied.status().ToString());
      return;
    }
    // An earlier run may have left pods of older images with the same tag.
    (void)tb::Kubectl({"rollout", "restart", "-n", kSystemNs, "deploy"});
    for (const char* service : {"controller", "poller", "converger", "gateway"}) {
      if (absl::StatusOr<std::string> rolled =
              tb::Kubectl({"rollout", "status", "-n", kSystemNs, absl::StrCat("deploy/werf-", service), "--timeout=180s"},
                          Timeout(absl::Minutes(4)));
          !rolled.ok()) {
        *install_error = absl::StrCat("werf-", service, " did not roll out: ", rolled.status().ToString());
        return;
      }
    }
    std::cerr << "[install] operator rolled out " << absl::Now() - started << " after the start\n";
    installed = true;
  }

  static void TearDownTestSuite() {
    if (installed) {
      (void)tb::Kubectl({"delete", "werfbundles", "-A", "--all", "--timeout=60s"}, Timeout(absl::Seconds(90)));
      (void)tb::Kubectl({"delete", "-k", absl::StrCat(WERF_BUILD_DIR, "/real-node-werf-overlay"), "--ignore-not-found",
                         "--wait=true", "--timeout=120s"},
                        Timeout(absl::Minutes(3)));
    }
    delete install_error;
    install_error = nullptr;
  }

  void SetUp() override {
    if (!HasRealNode()) {
      GTEST_SKIP() << "this test bed has no real node (WERF_TESTBED_REAL_NODE=1 testbed up; CTest's "
                      "testbed_node_up brings one up where the host can run it)";
    }
    ASSERT_TRUE(installed) << *install_error;
    const std::string label = tb::Env().Value("WERF_TESTBED_REAL_NODE_LABEL");
    const std::string tolerations =
        absl::StrCat(R"([{"key":")", label, R"(","operator":"Exists","effect":"NoSchedule"}])");
    namespace_ = std::make_unique<test_support::ScopedNamespace>(
        "rnw", test_support::NamespaceOptions{
                   .labels = {},
                   .annotations = {{"scheduler.alpha.kubernetes.io/node-selector", label + "=true"},
                                   {"scheduler.alpha.kubernetes.io/defaultTolerations", tolerations}}});
    ns_ = namespace_->name();
    ASSERT_OK(namespace_->status());
    const std::string rbac = absl::StrReplaceAll(ReadFile(kSource + "/deploy/target-namespace/werf-deploy-rbac.yaml"),
                                                 {{"namespace: my-app", "namespace: " + ns_}});
    ASSERT_FALSE(rbac.empty());
    ASSERT_OK(tb::ApplyYaml(rbac));
  }

  void TearDown() override {
    if (ns_.empty()) return;
    if (HasFailure()) {
      (void)tb::Kubectl({"get", "werfbundles,jobs,pods", "-n", ns_, "-o", "wide"});
      if (absl::StatusOr<std::string> bundles = tb::Kubectl({"get", "werfbundles", "-n", ns_, "-o", "yaml"});
          bundles.ok()) {
        std::cerr << "[bundles]\n" << *bundles << "\n";
      }
    }
    (void)tb::Kubectl({"delete", "werfbundles", "-n", ns_, "--all", "--timeout=60s"}, Timeout(absl::Seconds(90)));
    namespace_.reset();  // deletes it, without waiting
  }

  // publish-bundle.sh --external: the reference names the registry as pods on the node reach it.
  std::string Publish(const std::string& flavour, const std::string& chart, const std::string& repository,
                      const std::string& tag, const std::string& values_yaml = "") {
    std::vector<std::string> argv = {kSource + "/test/integration/testbed/publish-bundle.sh", "--registry", flavour,
                                     "--external"};
    if (!values_yaml.empty()) {
      const std::string file = absl::StrCat(::testing::TempDir(), "/", tb::UniqueName("values"), ".yaml");
      std::ofstream(file) << values_yaml;
      argv.insert(argv.end(), {"--values", file});
    }
    argv.insert(argv.end(), {chart, repository, tag});
    absl::StatusOr<std::string> out = tb::RunCommandOk(argv, Timeout(absl::Minutes(2)));
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return "";
    const std::vector<std::string> fields = absl::StrSplit(absl::StripAsciiWhitespace(*out), ' ');
    const std::string reference = fields.empty() ? "" : fields[0];
    return reference.substr(0, reference.rfind(':'));  // the repository URL, without the tag
  }

  void ApplyBundle(const std::string& name, const std::string& url, const std::string& registry_extra,
                   const std::string& converge_extra = "") {
    ASSERT_OK(tb::ApplyYaml(absl::StrCat(
        "apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata: {name: ", name, ", namespace: ", ns_,
        "}\nspec:\n  registry:\n    url: ", url, "\n    pollInterval: 1m\n", registry_extra,
        "  converge:\n    serviceAccountName: werf-deploy\n    timeout: 2m\n",
        // A 2-core node: werf's default 1 CPU would let only one Job run at a time.
        "    resourceLimits: {cpu: 500m, memory: 512Mi}\n", converge_extra)));
  }

  // The poller notices a new tag at once, as `werf.io/reconcile-requested-at` asks.
  void RequestReconcile(const std::string& name) {
    ASSERT_OK(tb::Kubectl({"annotate", "--overwrite", "-n", ns_, "werfbundle", name,
                           absl::StrCat("werf.io/reconcile-requested-at=", absl::ToUnixMicros(absl::Now()))})
                  .status());
  }

  absl::StatusOr<json> Bundle(const std::string& name) {
    absl::StatusOr<std::string> out = tb::Kubectl({"get", "werfbundle", name, "-n", ns_, "-o", "json"});
    if (!out.ok()) return out.status();
    return json::parse(*out, nullptr, false);
  }

  // Waits until `predicate(bundle)` holds; fails with the bundle's status otherwise.
  template <typename Predicate>
  absl::StatusOr<json> WaitBundle(const std::string& name, const std::string& what, Predicate predicate,
                                  absl::Duration timeout = absl::Minutes(3)) {
    json last;
    const absl::Status waited = tb::WaitFor(
        what,
        [&]() -> absl::StatusOr<bool> {
          absl::StatusOr<json> bundle = Bundle(name);
          if (!bundle.ok() || bundle->is_discarded()) return false;
          last = *bundle;
          return predicate(last);
        },
        timeout, absl::Seconds(1));
    if (!waited.ok()) {
      return absl::DeadlineExceededError(
          absl::StrCat(waited.message(), "; status: ", last.value("status", json::object()).dump(2)));
    }
    return last;
  }

  static std::string Status(const json& bundle, const char* field) {
    const json status = bundle.value("status", json::object());
    const auto it = status.find(field);
    return it == status.end() ? "" : it->is_string() ? it->get<std::string>() : it->dump();
  }
  static json Condition(const json& bundle, const std::string& type) {
    for (const json& c : bundle.value("status", json::object()).value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return json::object();
  }
  static json Latest(const json& bundle) {
    const json history = bundle.value("status", json::object()).value("history", json::array());
    return history.empty() ? json::object() : history[0];
  }
  static auto SyncedAt(const std::string& tag) {
    return [tag](const json& b) { return Status(b, "phase") == "Synced" && Status(b, "lastAppliedTag") == tag; };
  }

  // Events about one bundle, as "<type> <reason>: <message>" lines.
  std::vector<std::string> Events(const std::string& name) {
    absl::StatusOr<std::string> out = tb::Kubectl(
        {"get", "events", "-n", ns_, "--field-selector", "involvedObject.name=" + name, "-o", "json"});
    std::vector<std::string> lines;
    if (!out.ok()) return lines;
    for (const json& e : json::parse(*out).value("items", json::array())) {
      lines.push_back(absl::StrCat(e.value("type", ""), " ", e.value("reason", ""), ": ", e.value("message", "")));
    }
    return lines;
  }

  // The body of http://<release>.<ns>.svc/ fetched from a pod on the real node (busybox wget).
  // The page the release's Service answers with, fetched by a pod on the real node. The pod runs
  // detached and its output is read from its log once it has finished: `kubectl run -i` attaches
  // after the container started, and a wget that finished first left the attach with nothing
  // (an empty page and exit 0 in CI, stop 25).
  absl::StatusOr<std::string> FetchThroughService(const std::string& release) {
    const std::string pod = tb::UniqueName("curl");
    absl::Status created =
        tb::Kubectl({"run", pod, "-n", ns_, "--image", tb::Env().Value("WERF_TESTBED_REAL_NODE_TEST_IMAGE"),
                     "--image-pull-policy=Never", "--restart=Never", "--command", "--", "sh", "-c",
                     absl::StrCat("for i in 1 2 3 4 5 6 7 8 9 10; do timeout 5 wget -q -O - http://", release, ".",
                                  ns_, ".svc.cluster.local/ && exit 0; sleep 1; done; exit 1")})
            .status();
    if (!created.ok()) return created;
    std::string phase;
    for (const absl::Time deadline = absl::Now() + absl::Minutes(2); absl::Now() < deadline;
         absl::SleepFor(absl::Milliseconds(500))) {
      absl::StatusOr<std::string> got = tb::Kubectl({"get", "pod", pod, "-n", ns_, "-o", "jsonpath={.status.phase}"});
      if (got.ok()) phase = *got;
      if (phase == "Succeeded" || phase == "Failed") break;
    }
    absl::StatusOr<std::string> page = tb::Kubectl({"logs", "-n", ns_, pod});
    (void)tb::Kubectl({"delete", "pod", pod, "-n", ns_, "--wait=false"});
    if (phase != "Succeeded") {
      return absl::UnavailableError(absl::StrCat("pod ", pod, " fetching http://", release, " ended in phase '", phase,
                                                 "': ", page.ok() ? *page : page.status().ToString()));
    }
    return page;
  }

  // The controller's werf_operator_controller_drift_corrections_total, summed over its pods
  // (scraped through `kubectl port-forward`: the host has no route to the pod network, so the
  // API server's pod proxy cannot reach them).
  double DriftCorrectionsMetric() {
    double total = 0;
    absl::StatusOr<std::string> pods = tb::Kubectl({"get", "pods", "-n", kSystemNs, "-l",
                                                    "app.kubernetes.io/name=werf-controller", "-o",
                                                    "jsonpath={.items[*].metadata.name}"});
    if (!pods.ok()) return -1;
    for (absl::string_view pod : absl::StrSplit(*pods, ' ', absl::SkipEmpty())) {
      const std::string script = absl::StrCat(
          "out=$(mktemp); kubectl port-forward -n ", kSystemNs, " pod/", pod, " :8080 >\"$out\" 2>&1 & pf=$!\n",
          "trap 'kill $pf; rm -f \"$out\"' EXIT\n",
          "for i in $(seq 100); do port=$(sed -n 's/^Forwarding from 127.0.0.1:\\([0-9]*\\) .*/\\1/p' \"$out\"); ",
          "[ -n \"$port\" ] && break; sleep 0.1; done\n",
          "curl -sf --noproxy '*' --max-time 10 \"http://127.0.0.1:$port/metrics\"\n");
      absl::StatusOr<std::string> metrics = tb::RunCommandOk({"bash", "-c", script}, Timeout(absl::Seconds(40)));
      if (!metrics.ok()) {
        ADD_FAILURE() << "scraping " << pod << ": " << metrics.status();
        continue;
      }
      for (absl::string_view line : absl::StrSplit(*metrics, '\n')) {
        if (!absl::StartsWith(line, "werf_operator_controller_drift_corrections_total")) continue;
        double value = 0;
        if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) total += value;
      }
    }
    return total;
  }

  // `kubectl get jobs,pods` in the test's namespace without their status: a failed pod's
  // status holds the kubelet's copy of its log tail (terminationMessagePolicy:
  // FallbackToLogsOnError), i.e. werf's own output, which is the pod log's audience and content
  // (pods/log), not something the operator wrote.
  std::string JobsAndPodsWithoutStatus() {
    absl::StatusOr<std::string> out = tb::Kubectl({"get", "jobs,pods", "-n", ns_, "-o", "json"});
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return "";
    json list = json::parse(*out);
    for (json& item : list["items"]) item.erase("status");
    return list.dump();
  }

  // The test's namespace, on the real node by its annotations; ns_ is its name.
  std::unique_ptr<test_support::ScopedNamespace> namespace_;
  std::string ns_;
};

// hello: deployed with values from a ConfigMap and a Secret, answering HTTP through its Service,
// status from the real report; upgraded by a new tag; drift by hand found and corrected twice.
TEST_F(RealNodeWerfTest, HelloDeploysAnswersHttpUpgradesAndDriftIsCorrectedTwice) {
  const std::string url = Publish("anon", "hello", "rnw/" + ns_ + "/hello", "1.0.0");
  ASSERT_FALSE(url.empty());
  const std::string secret_value = tb::UniqueName("s3cr3t-api-token");
  ASSERT_OK(tb::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello-values, namespace: ",
                                       ns_, "}\ndata:\n  values.yaml: |\n    config:\n      greeting: hi from a ConfigMap\n")));
  ASSERT_OK(tb::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: hello-secret-values, namespace: ",
                                       ns_, "}\nstringData:\n  values.yaml: |\n    secrets:\n      apiToken: ",
                                       secret_value, "\n")));
  // Every outcome goes to a webhook receiver on the host's end of the node's veth, where the
  // controller's pod reaches it.
  e2e::Receiver receiver(tb::Env().Value("WERF_TESTBED_REAL_NODE_HOST_IP"));
  ASSERT_OK(tb::Kubectl({"-n", ns_, "create", "secret", "generic", "hello-notify",
                         "--from-literal=url=" + receiver.Url("/hook"), "--from-literal=signingKey=" + secret_value})
                .status());
  ApplyBundle("hello", url, "    plainHTTP: true\n",
              "    driftDetection: {enabled: true, interval: 1m, maxRetries: 3}\n"
              "    valuesFrom:\n    - configMapRef: {name: hello-values}\n    - secretRef: {name: hello-secret-values}\n"
              "  notifications:\n  - {name: hook, kind: Webhook, secretRef: {name: hello-notify}}\n");

  const absl::Time started = absl::Now();
  ASSERT_OK_AND_ASSIGN(json synced, WaitBundle("hello", "hello Synced at 1.0.0", SyncedAt("1.0.0")));
  std::cerr << "[hello] Synced " << absl::Now() - started << " after the bundle was created\n";
  // The real report's numbers: revision 1, the four resources of the chart created.
  EXPECT_THAT(Latest(synced).value("message", ""), HasSubstr("deployed: revision 1, 4 completed, 0 canceled, 0 failed"))
      << synced.dump(2);
  EXPECT_EQ(Latest(synced).value("revision", 0), 1);
  EXPECT_EQ(Latest(synced).value("reportStatus", ""), "deployed");
  EXPECT_EQ(Latest(synced).value("completedOperations", 0), 4);
  EXPECT_FALSE(Latest(synced).contains("logTail"));
  EXPECT_GE(Latest(synced).value("durationSeconds", -1), 0);

  // The Job ran on the real node, as the stand-in.
  const std::string job = Latest(synced).value("jobName", "");
  ASSERT_OK_AND_ASSIGN(std::string job_pod, tb::Kubectl({"get", "pods", "-n", ns_, "-l", "job-name=" + job, "-o",
                                                         "jsonpath={.items[0].spec.nodeName} {.items[0].spec.containers[0].image}"}));
  EXPECT_EQ(job_pod, absl::StrCat(tb::Env().Value("WERF_TESTBED_REAL_NODE"), " localhost/werf-testbed/werf-standin:testbed"));

  // The app: Ready on the real node, answering through its Service with the ConfigMap's value.
  ASSERT_OK(tb::Kubectl({"rollout", "status", "-n", ns_, "deploy/hello", "--timeout=120s"}, Timeout(absl::Minutes(3)))
                .status());
  ASSERT_OK_AND_ASSIGN(std::string page, FetchThroughService("hello"));
  EXPECT_THAT(page, HasSubstr("greeting=hi from a ConfigMap"));
  EXPECT_THAT(page, HasSubstr("bundleVersion=1.0.0"));
  // The Secret's value reached the running container (through the chart's Secret).
  ASSERT_OK_AND_ASSIGN(std::string in_pod,
                       tb::Kubectl({"exec", "-n", ns_, "deploy/hello", "--", "sh", "-c", "printf %s \"$apiToken\""}));
  EXPECT_EQ(in_pod, secret_value);

  // A new tag upgrades it: revision 2.
  ASSERT_FALSE(Publish("anon", "hello", "rnw/" + ns_ + "/hello", "1.1.0").empty());
  RequestReconcile("hello");
  ASSERT_OK_AND_ASSIGN(synced, WaitBundle("hello", "hello Synced at 1.1.0", SyncedAt("1.1.0")));
  EXPECT_THAT(Latest(synced).value("message", ""), HasSubstr("deployed: revision 2,")) << synced.dump(2);
  ASSERT_OK(tb::Kubectl({"rollout", "status", "-n", ns_, "deploy/hello", "--timeout=120s"}, Timeout(absl::Minutes(3)))
                .status());
  ASSERT_OK_AND_ASSIGN(page, FetchThroughService("hello"));
  EXPECT_THAT(page, HasSubstr("bundleVersion=1.1.0"));

  // Drift: scaled by hand → the drift check (werf bundle plan --exit-code) exits 2 → Drifted →
  // a correcting apply → back at one replica.
  const double corrections_before = DriftCorrectionsMetric();
  for (int round = 1; round <= 2; ++round) {
    ASSERT_OK(tb::Kubectl({"scale", "-n", ns_, "deploy/hello", "--replicas=2"}).status());
    const absl::Time scaled = absl::Now();
    ASSERT_OK_AND_ASSIGN(json drifted, WaitBundle("hello", absl::StrCat("drift ", round, " detected"), [](const json& b) {
      return Condition(b, "Drifted").value("status", "") == "True";
    }));
    EXPECT_EQ(Condition(drifted, "Drifted").value("reason", ""), "DriftDetected");
    ASSERT_OK_AND_ASSIGN(json corrected,
                         WaitBundle("hello", absl::StrCat("drift ", round, " corrected"), [](const json& b) {
                           return Condition(b, "Drifted").value("reason", "") == "DriftCorrected" &&
                                  Status(b, "phase") == "Synced";
                         }));
    std::cerr << "[hello] drift " << round << " corrected " << absl::Now() - scaled << " after scaling\n";
    EXPECT_EQ(Status(corrected, "driftCorrections"), std::to_string(round)) << corrected.dump(2);
    EXPECT_TRUE(Latest(corrected).value("driftCorrection", false)) << Latest(corrected).dump();
    EXPECT_THAT(Latest(corrected).value("message", ""), HasSubstr("deployed: revision ")) << corrected.dump(2);
    ASSERT_OK(tb::WaitForJsonPath({"deployment", "hello", ns_}, "{.spec.replicas}", "1", absl::Seconds(30)).status());
    bool drift_event = false;
    for (const std::string& e : Events("hello")) drift_event |= absl::StartsWith(e, "Warning DriftDetected:");
    EXPECT_TRUE(drift_event);
  }
  EXPECT_GE(DriftCorrectionsMetric(), corrections_before + 2);

  // Notifications: two deploys and two drift corrections reached the receiver, each once, also
  // across a restart of the controller (its successor reads status.notifications). A Drifted
  // outcome is either delivered or, when the correction cleared the condition first, counted
  // as dropped.
  ASSERT_OK(receiver.WaitFor("/hook", 4, absl::Seconds(60)));
  ASSERT_OK(tb::Kubectl({"rollout", "restart", "-n", kSystemNs, "deploy/werf-controller"}).status());
  ASSERT_OK(tb::Kubectl({"rollout", "status", "-n", kSystemNs, "deploy/werf-controller", "--timeout=120s"},
                        Timeout(absl::Minutes(3)))
                .status());
  absl::SleepFor(absl::Seconds(10));
  std::map<std::string, int> kinds;
  std::set<std::string> deliveries;
  const std::vector<e2e::Receiver::Request> hooks = receiver.Received("/hook");
  for (const e2e::Receiver::Request& hook : hooks) {
    EXPECT_TRUE(webhook::VerifyHubSignature256(secret_value, hook.body, hook.Header("x-werf-signature-256")));
    EXPECT_TRUE(deliveries.insert(hook.Header("x-werf-delivery")).second) << "sent twice: " << hook.body;
    ++kinds[json::parse(hook.body).value("event", "")];
  }
  EXPECT_EQ(kinds["Deployed"], 2) << hooks.size();
  EXPECT_EQ(kinds["DriftCorrected"], 2);
  ASSERT_OK_AND_ASSIGN(std::string notified, tb::Kubectl({"get", "werfbundle", "hello", "-n", ns_, "-o", "json"}));
  const json record = json::parse(notified)["status"]["notifications"][0];
  EXPECT_EQ(kinds["Drifted"] + record.value("dropped", 0), 2) << record.dump();
  std::cerr << "[hello] notifications: " << hooks.size() << " delivered, " << record.value("dropped", 0)
            << " dropped\n";

  // No Secret value in anything the operator made or reports.
  std::vector<std::string> scanned = {"get events -A -o json", "get werfbundles -A -o json"};
  for (const std::string& what : scanned) {
    ASSERT_OK_AND_ASSIGN(std::string out, tb::Kubectl(absl::StrSplit(what, ' ')));
    EXPECT_THAT(out, Not(HasSubstr(secret_value))) << what;
    EXPECT_THAT(out, Not(HasSubstr(absl::Base64Escape(secret_value)))) << what;
  }
  const std::string specs = JobsAndPodsWithoutStatus();
  EXPECT_THAT(specs, Not(HasSubstr(secret_value))) << "Jobs and Pods";
  EXPECT_THAT(specs, Not(HasSubstr(absl::Base64Escape(secret_value)))) << "Jobs and Pods";
  for (const char* service : {"controller", "poller", "converger", "gateway"}) {
    ASSERT_OK_AND_ASSIGN(std::string log, tb::Kubectl({"logs", "-n", kSystemNs, "-l",
                                                       absl::StrCat("app.kubernetes.io/name=werf-", service),
                                                       "--tail=-1", "--all-containers"}));
    EXPECT_THAT(log, Not(HasSubstr(secret_value))) << service;
  }
}

// broken: nelm's own render error in status and a Warning Event, the log tail the pod log's;
// hello next to it stays Synced; a fixed tag recovers. A Secret value nelm quotes in its error
// reaches none of what the operator reports.
TEST_F(RealNodeWerfTest, BrokenFailsWithNelmsErrorOthersStaySyncedAndAFixedTagRecovers) {
  const std::string hello = Publish("anon", "hello", "rnw/" + ns_ + "/hello", "1.0.0");
  const std::string broken = Publish("anon", "broken", "rnw/" + ns_ + "/broken", "1.0.0");
  ASSERT_FALSE(hello.empty());
  ASSERT_FALSE(broken.empty());
  ApplyBundle("hello", hello, "    plainHTTP: true\n");
  ApplyBundle("broken", broken, "    plainHTTP: true\n");
  // Longer than nelm's line width, so its soft wrap cuts the value itself (one long word).
  const std::string token = tb::UniqueName("tok-s3cr3t-" + std::string(180, 'x'));
  ASSERT_OK(tb::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: leaky-values, namespace: ", ns_,
                                       "}\nstringData:\n  values.yaml: |\n    mustBeSet: present\n    refuseToken: ",
                                       token, "\n")));
  ApplyBundle("leaky", broken, "    plainHTTP: true\n", "    valuesFrom:\n    - secretRef: {name: leaky-values}\n");

  ASSERT_OK_AND_ASSIGN(json failed, WaitBundle("broken", "broken failed", [](const json& b) {
    return Latest(b).value("result", "") == "Failed";
  }));
  const std::string error = Status(failed, "lastErrorMessage");
  EXPECT_THAT(error, HasSubstr(".Values.mustBeSet is required")) << error;
  EXPECT_THAT(error, HasSubstr("werf exited with code 1"));
  // The log tail in status is the real pod log's tail.
  const std::string job = Latest(failed).value("jobName", "");
  ASSERT_OK_AND_ASSIGN(std::string pod_log, tb::Kubectl({"logs", "-n", ns_, "job/" + job}));
  const std::string marker = "; last log lines: ";
  ASSERT_THAT(error, HasSubstr(marker));
  const std::string tail(absl::StripAsciiWhitespace(error.substr(error.rfind(marker) + marker.size())));
  EXPECT_TRUE(absl::EndsWith(absl::StripAsciiWhitespace(pod_log), tail))
      << "status tail:\n" << tail << "\npod log:\n" << pod_log;
  // The history entry carries the outcome as data, with the same log tail.
  const std::string history_tail(absl::StripAsciiWhitespace(Latest(failed).value("logTail", "")));
  EXPECT_THAT(history_tail, HasSubstr(".Values.mustBeSet is required"));
  EXPECT_TRUE(absl::EndsWith(absl::StripAsciiWhitespace(pod_log), history_tail)) << history_tail;
  bool warning = false;
  for (const std::string& e : Events("broken")) {
    warning |= absl::StartsWith(e, "Warning ConvergeFailed:") && absl::StrContains(e, "mustBeSet is required");
  }
  EXPECT_TRUE(warning) << absl::StrJoin(Events("broken"), "\n");

  // Five failures in a row (the test's overlay retries after 2s, doubling up to 8s): Failed.
  ASSERT_OK_AND_ASSIGN(failed, WaitBundle("broken", "broken phase Failed", [](const json& b) {
    return Status(b, "phase") == "Failed";
  }));
  EXPECT_THAT(Status(failed, "lastErrorMessage"), HasSubstr(".Values.mustBeSet is required"));

  // Its neighbour is not affected.
  ASSERT_OK(WaitBundle("hello", "hello Synced next to broken", SyncedAt("1.0.0")).status());

  // The leaky bundle failed quoting the Secret's value; nobody reports it.
  ASSERT_OK_AND_ASSIGN(json leaky, WaitBundle("leaky", "leaky failed", [](const json& b) {
    return Latest(b).value("result", "") == "Failed";
  }));
  const std::string leaky_job = Latest(leaky).value("jobName", "");
  ASSERT_OK_AND_ASSIGN(std::string leaky_log, tb::Kubectl({"logs", "-n", ns_, "job/" + leaky_job}));
  // (The container printed it, maybe soft-wrapped; without redaction it would travel on.)
  EXPECT_THAT(leaky_log, HasSubstr(token.substr(0, 24)));
  EXPECT_THAT(leaky_log, HasSubstr("\u21b5")) << "nelm soft-wrapped it";
  std::cerr << "[leaky] nelm's soft wrap " << (absl::StrContains(leaky_log, token) ? "did not cut" : "cut")
            << " the value in the pod log\n";
  EXPECT_THAT(Status(leaky, "lastErrorMessage"), HasSubstr("[redacted]"));
  std::vector<std::string> scanned = {"get werfbundles -A -o json", "get events -A -o json"};
  for (const std::string& what : scanned) {
    ASSERT_OK_AND_ASSIGN(std::string out, tb::Kubectl(absl::StrSplit(what, ' ')));
    EXPECT_THAT(out, Not(HasSubstr(token.substr(0, 24)))) << what;
    EXPECT_THAT(out, Not(HasSubstr(token.substr(token.size() - 24)))) << what << " (a soft-wrapped piece)";
    EXPECT_THAT(out, Not(HasSubstr(absl::Base64Escape(token)))) << what;
  }
  const std::string specs = JobsAndPodsWithoutStatus();
  EXPECT_THAT(specs, Not(HasSubstr(token.substr(0, 24)))) << "Jobs and Pods";
  EXPECT_THAT(specs, Not(HasSubstr(token.substr(token.size() - 24)))) << "Jobs and Pods";
  for (const char* service : {"controller", "poller", "converger", "gateway"}) {
    ASSERT_OK_AND_ASSIGN(std::string log, tb::Kubectl({"logs", "-n", kSystemNs, "-l",
                                                       absl::StrCat("app.kubernetes.io/name=werf-", service),
                                                       "--tail=-1", "--all-containers"}));
    EXPECT_THAT(log, Not(HasSubstr(token.substr(0, 24)))) << service;
  }

  // A fixed tag (published with the value it needs) recovers.
  ASSERT_FALSE(Publish("anon", "broken", "rnw/" + ns_ + "/broken", "1.0.1", "mustBeSet: now set\n").empty());
  RequestReconcile("broken");
  ASSERT_OK_AND_ASSIGN(json recovered, WaitBundle("broken", "broken recovered", SyncedAt("1.0.1")));
  EXPECT_EQ(Status(recovered, "lastErrorMessage"), "");
  EXPECT_EQ(Status(recovered, "consecutiveFailures"), "0");
}

// big: 150 ConfigMaps, so nelm's report is about three termination messages long; the
// entrypoint's compact form reaches the converger and its counts the status.
TEST_F(RealNodeWerfTest, BigSyncsWithItsReportParsedDespiteItsSize) {
  const std::string url = Publish("anon", "big", "rnw/" + ns_ + "/big", "1.0.0");
  ASSERT_FALSE(url.empty());
  ApplyBundle("big", url, "    plainHTTP: true\n");
  ASSERT_OK_AND_ASSIGN(json synced, WaitBundle("big", "big Synced", SyncedAt("1.0.0"), absl::Minutes(5)));
  EXPECT_THAT(Latest(synced).value("message", ""), HasSubstr("deployed: revision 1, 150 completed, 0 canceled, 0 failed"))
      << synced.dump(2);
  // The termination message the kubelet kept: within 4096 bytes, one JSON object, the counts.
  const std::string job = Latest(synced).value("jobName", "");
  ASSERT_OK_AND_ASSIGN(std::string message,
                       tb::Kubectl({"get", "pods", "-n", ns_, "-l", "job-name=" + job, "-o",
                                    "jsonpath={.items[0].status.containerStatuses[0].state.terminated.message}"}));
  EXPECT_LE(message.size(), 4096u);
  const json report = json::parse(message, nullptr, false);
  ASSERT_TRUE(report.is_object()) << message;
  EXPECT_EQ(report.value("completedOperationsCount", 0), 150);
  EXPECT_EQ(report.value("status", ""), "deployed");
  ASSERT_OK_AND_ASSIGN(std::string configmaps, tb::Kubectl({"get", "configmaps", "-n", ns_, "-o", "name"}));
  int big_configmaps = 0;
  for (absl::string_view name : absl::StrSplit(configmaps, '\n')) big_configmaps += absl::StartsWith(name, "configmap/big-");
  EXPECT_EQ(big_configmaps, 150);
}

// Registry credentials (basic auth, as a kubernetes.io/basic-auth Secret) and the TLS registry
// with its CA (caSecretRef): the poller reads them, and werf's Job gets them as mounted files
// (DOCKER_CONFIG, SSL_CERT_DIR), never in its spec.
TEST_F(RealNodeWerfTest, BasicAuthAndTlsWithItsCaWorkThroughTheMountedFiles) {
  const std::string basic = Publish("basic", "hello", "rnw/" + ns_ + "/basic", "1.0.0");
  const std::string tls = Publish("tls", "hello", "rnw/" + ns_ + "/tls", "1.0.0");
  ASSERT_FALSE(basic.empty());
  ASSERT_FALSE(tls.empty());
  const std::string password = tb::Env().Value("WERF_TESTBED_REGISTRY_BASIC_PASSWORD");
  ASSERT_OK(tb::ApplyYaml(absl::StrCat(
      "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/basic-auth\nmetadata: {name: pull, namespace: ", ns_,
      "}\nstringData:\n  username: ", tb::Env().Value("WERF_TESTBED_REGISTRY_BASIC_USER"), "\n  password: ", password,
      "\n")));
  std::string ca = ReadFile(tb::Env().Value("WERF_TESTBED_CA"));
  ASSERT_FALSE(ca.empty());
  ASSERT_OK(tb::Kubectl({"create", "secret", "generic", "registry-ca", "-n", ns_,
                         "--from-file=ca.crt=" + tb::Env().Value("WERF_TESTBED_CA")})
                .status());
  ApplyBundle("basic", basic, "    plainHTTP: true\n    secretRef: {name: pull}\n");
  ApplyBundle("tls", tls, "    caSecretRef: {name: registry-ca}\n");
  ASSERT_OK_AND_ASSIGN(json basic_synced, WaitBundle("basic", "basic Synced", SyncedAt("1.0.0")));
  ASSERT_OK_AND_ASSIGN(json tls_synced, WaitBundle("tls", "tls Synced", SyncedAt("1.0.0")));
  for (const json* synced : {&basic_synced, &tls_synced}) {
    const std::string job = Latest(*synced).value("jobName", "");
    ASSERT_OK_AND_ASSIGN(std::string spec, tb::Kubectl({"get", "job", job, "-n", ns_, "-o", "json"}));
    const json args = json::parse(spec)["spec"]["template"]["spec"]["containers"][0]["args"];
    if (synced == &tls_synced) {
      EXPECT_THAT(args.dump(), Not(HasSubstr("--insecure-registry")));
      EXPECT_THAT(args.dump(), Not(HasSubstr("--skip-tls-verify-registry")));
      EXPECT_THAT(spec, HasSubstr("SSL_CERT_DIR"));
    } else {
      EXPECT_THAT(args.dump(), HasSubstr("--insecure-registry"));
      EXPECT_THAT(spec, HasSubstr("DOCKER_CONFIG"));
      EXPECT_THAT(spec, Not(HasSubstr(password)));
    }
  }
}

// Token authentication (a kubernetes.io/dockerconfigjson Secret for the pull-only user): the
// registry answers 401 with a Bearer realm on the node's veth address, and both the poller (a pod
// on the node) and werf's Job follow it with the mounted docker config; the pull-only user cannot
// push, so a deploy proves the pull scope was asked for and granted.
TEST_F(RealNodeWerfTest, TokenAuthWorksThroughTheMountedDockerConfig) {
  const std::string url = Publish("token", "hello", "rnw/" + ns_ + "/token", "1.0.0");
  ASSERT_FALSE(url.empty());
  const std::string host = tb::Env().Value("WERF_TESTBED_REGISTRY_TOKEN_EXTERNAL");
  const std::string user = tb::Env().Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_USER");
  const std::string password = tb::Env().Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_PASSWORD");
  const json config = {{"auths", {{host, {{"auth", absl::Base64Escape(user + ":" + password)}}}}}};
  ASSERT_OK(tb::ApplyYaml(absl::StrCat(
      "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\nmetadata: {name: token-pull, namespace: ",
      ns_, "}\nstringData:\n  .dockerconfigjson: '", config.dump(), "'\n")));
  ApplyBundle("token", url, "    plainHTTP: true\n    secretRef: {name: token-pull}\n");
  ASSERT_OK_AND_ASSIGN(json synced, WaitBundle("token", "token Synced", SyncedAt("1.0.0")));
  const std::string job = Latest(synced).value("jobName", "");
  ASSERT_OK_AND_ASSIGN(std::string spec, tb::Kubectl({"get", "job", job, "-n", ns_, "-o", "json"}));
  EXPECT_THAT(spec, HasSubstr("DOCKER_CONFIG"));
  EXPECT_THAT(spec, Not(HasSubstr(password)));
  EXPECT_THAT(spec, Not(HasSubstr(absl::Base64Escape(user + ":" + password))));
  ASSERT_OK_AND_ASSIGN(std::string configmaps, tb::Kubectl({"get", "configmap", "-n", ns_, "-o", "name"}));
  EXPECT_THAT(configmaps, HasSubstr("configmap/token-config"));  // release = bundle name
}

}  // namespace
}  // namespace werf::e2e
