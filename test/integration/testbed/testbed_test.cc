// Checks that the test bed behaves like the real thing the operator will meet: Jobs run to
// Complete or Failed through kwok, ttl-after-finished and backoffLimit work, the registries
// list pushed tags and enforce their authentication, and a compacted etcd makes an old watch
// fail with 410 Gone. With the real node: pods really run there (logs, exec, port-forward,
// cluster DNS, Services, exit codes, memory limits), and `testbed down` leaves nothing behind.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "nlohmann/json.hpp"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/admin_client.h"
#include "test/support/test_namespace.h"

namespace werf::testbed {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

std::string JobYaml(absl::string_view name, absl::string_view extra_spec, absl::string_view pod_metadata) {
  return absl::StrReplaceAll(R"(apiVersion: batch/v1
kind: Job
metadata:
  name: NAME
  namespace: default
spec:
EXTRA_SPEC
  template:
    metadata:
POD_METADATA
    spec:
      restartPolicy: Never
      containers:
      - name: werf
        image: registry.invalid/werf:2-stable
        command: ["werf", "version"]
)",
                             {{"NAME", name}, {"EXTRA_SPEC", extra_spec}, {"POD_METADATA", pod_metadata}});
}

void DeleteJob(const std::string& name) {
  (void)Kubectl({"delete", "job", name, "-n", "default", "--ignore-not-found", "--wait=false", "--cascade=background"});
}

TEST(Testbed, NodesAreReady) {
  const std::string nodes = Env().Value("WERF_TESTBED_NODES");
  ASSERT_FALSE(nodes.empty());
  for (absl::string_view node : absl::StrSplit(nodes, ' ', absl::SkipEmpty())) {
    ASSERT_OK_AND_ASSIGN(
        auto ready, GetJsonPath({"node", std::string(node), ""}, R"({.status.conditions[?(@.type=="Ready")].status})"));
    EXPECT_EQ(ready, "True") << node;
  }
}

TEST(Testbed, JobCompletesThroughKwokAndTtlAfterFinishedDeletesIt) {
  const std::string name = UniqueName("complete");
  ASSERT_OK(ApplyYaml(JobYaml(name, "  ttlSecondsAfterFinished: 2\n  backoffLimit: 0", "      labels: {}")));
  const ObjectRef job{"job", name};
  ASSERT_OK_AND_ASSIGN(auto complete, WaitForJsonPath(job, R"({.status.conditions[?(@.type=="Complete")].status})", "True",
                                                 absl::Seconds(60)));
  EXPECT_EQ(complete, "True");
  // ttl-after-finished deletes the Job; the garbage collector and kwok then remove its pod.
  ASSERT_OK(WaitForDeleted(job, absl::Seconds(60)));
  ASSERT_OK(WaitFor(
      "the Job's pods to be deleted",
      [&]() -> absl::StatusOr<bool> {
        auto pods = Kubectl({"get", "pods", "-n", "default", "-l", "job-name=" + name, "-o", "name"});
        if (!pods.ok()) return pods.status();
        return absl::StripAsciiWhitespace(*pods).empty();
      },
      absl::Seconds(60)));
}

TEST(Testbed, SucceededPodReportsExitCodeZeroAndTerminationMessage) {
  const std::string name = UniqueName("report");
  const std::string report = R"({"status":"deployed","release":"demo"})";
  ASSERT_OK(ApplyYaml(
      JobYaml(name, "  backoffLimit: 0",
              absl::StrCat("      annotations:\n        testbed.werf.io/termination-message: '", report, "'"))));
  ASSERT_OK(
      WaitForJsonPath({"job", name}, R"({.status.conditions[?(@.type=="Complete")].status})", "True", absl::Seconds(60))
          .status());
  ASSERT_OK_AND_ASSIGN(auto terminated, Kubectl({"get", "pods", "-n", "default", "-l", "job-name=" + name, "-o",
                                            "jsonpath={.items[0].status.containerStatuses[0].state.terminated}"}));
  const auto state = nlohmann::json::parse(terminated, nullptr, false);
  ASSERT_TRUE(state.is_object()) << terminated;
  EXPECT_EQ(state.value("exitCode", -1), 0);
  EXPECT_EQ(state.value("reason", ""), "Completed");
  EXPECT_EQ(state.value("message", ""), report);
  DeleteJob(name);
}

TEST(Testbed, LabelledPodFailsWithConfiguredExitCodeAndBackoffLimitIsHonoured) {
  const std::string name = UniqueName("fail");
  ASSERT_OK(ApplyYaml(JobYaml(name, "  backoffLimit: 1",
                              "      labels:\n        testbed.werf.io/fail: \"true\"\n"
                              "      annotations:\n        testbed.werf.io/exit-code: \"3\"\n"
                              "        testbed.werf.io/termination-message: boom")));
  const ObjectRef job{"job", name};
  // The Job controller waits ~10 s (its pod failure backoff) before the second pod.
  ASSERT_OK(
      WaitForJsonPath(job, R"({.status.conditions[?(@.type=="Failed")].status})", "True", absl::Seconds(90)).status());
  ASSERT_OK_AND_ASSIGN(auto reason, GetJsonPath(job, R"({.status.conditions[?(@.type=="Failed")].reason})"));
  EXPECT_EQ(reason, "BackoffLimitExceeded");
  ASSERT_OK_AND_ASSIGN(auto failed, GetJsonPath(job, "{.status.failed}"));
  EXPECT_EQ(failed, "2");
  ASSERT_OK_AND_ASSIGN(auto pods_json, Kubectl({"get", "pods", "-n", "default", "-l", "job-name=" + name, "-o", "json"}));
  const auto pods = nlohmann::json::parse(pods_json, nullptr, false);
  ASSERT_TRUE(pods.contains("items")) << pods_json;
  ASSERT_EQ(pods["items"].size(), 2u) << "backoffLimit 1 means two attempts";
  for (const auto& pod : pods["items"]) {
    EXPECT_EQ(pod["status"]["phase"], "Failed");
    const auto& terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"];
    EXPECT_EQ(terminated.value("exitCode", -1), 3);
    EXPECT_EQ(terminated.value("reason", ""), "Error");
    EXPECT_EQ(terminated.value("message", ""), "boom");
  }
  DeleteJob(name);
}

TEST(Testbed, ServiceAccountTokenAuthenticatesAndRbacApplies) {
  const std::string sa = UniqueName("reader");
  ASSERT_OK(Kubectl({"create", "serviceaccount", sa, "-n", "default"}).status());
  ASSERT_OK_AND_ASSIGN(auto token, MintServiceAccountToken("default", sa, absl::Minutes(10)));
  const TestbedEnv& env = Env();
  const std::vector<std::string> as_sa = {"kubectl",
                                          "--kubeconfig=/dev/null",
                                          "--server",
                                          env.Value("WERF_TESTBED_APISERVER"),
                                          "--certificate-authority",
                                          env.Value("WERF_TESTBED_CA"),
                                          "--token",
                                          token};
  auto whoami = as_sa;
  whoami.insert(whoami.end(), {"auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"});
  ASSERT_OK_AND_ASSIGN(auto username, RunCommandOk(whoami));
  EXPECT_EQ(username, "system:serviceaccount:default:" + sa);
  auto list = as_sa;
  list.insert(list.end(), {"get", "secrets", "-n", "default"});
  ASSERT_OK_AND_ASSIGN(auto forbidden, RunCommand(list));
  EXPECT_NE(forbidden.exit_code, 0);
  EXPECT_THAT(forbidden.err, HasSubstr("forbidden"));
  (void)Kubectl({"delete", "serviceaccount", sa, "-n", "default", "--wait=false"});
}

TEST(Testbed, WatchFromCompactedResourceVersionGets410Gone) {
  const std::string name = UniqueName("compaction");
  ASSERT_OK(Kubectl({"create", "configmap", name, "-n", "default", "--from-literal=n=0"}).status());
  ASSERT_OK_AND_ASSIGN(auto old_version, GetJsonPath({"configmap", name}, "{.metadata.resourceVersion}"));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_OK(Kubectl({"patch", "configmap", name, "-n", "default", "--type=merge", "-p",
                       absl::StrCat(R"({"data":{"n":")", i, R"("}})")})
                  .status());
  }
  ASSERT_OK_AND_ASSIGN(auto revision, CompactEtcd());
  EXPECT_GT(revision, std::stoll(old_version));

  ASSERT_OK_AND_ASSIGN(
      auto events, Kubectl({"get", "--raw",
                       absl::StrCat("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=5&resourceVersion=",
                                    old_version)}));
  const std::string first_line = events.substr(0, events.find('\n'));
  const auto event = nlohmann::json::parse(first_line, nullptr, false);
  ASSERT_TRUE(event.is_object()) << events;
  EXPECT_EQ(event.value("type", ""), "ERROR") << events;
  EXPECT_EQ(event["object"].value("code", 0), 410) << events;
  EXPECT_EQ(event["object"].value("reason", ""), "Expired") << events;

  // A watch from the current resourceVersion is unaffected.
  ASSERT_OK_AND_ASSIGN(auto current, GetJsonPath({"configmap", name}, "{.metadata.resourceVersion}"));
  ASSERT_OK_AND_ASSIGN(
      auto fresh, Kubectl({"get", "--raw",
                      absl::StrCat("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion=",
                                   current)}));
  EXPECT_THAT(fresh, ::testing::Not(HasSubstr("\"ERROR\"")));
  (void)Kubectl({"delete", "configmap", name, "-n", "default", "--wait=false"});
}

// --- registries ---------------------------------------------------------------------------

struct HttpResponse {
  int code = 0;
  std::string body;
  std::string headers;
};

// curl, so that a test failure shows exactly the HTTP exchange a client would see.
absl::StatusOr<HttpResponse> Get(const std::string& url, const std::vector<std::string>& extra_args = {}) {
  std::vector<std::string> argv = {"curl", "-sS", "--noproxy",   "*",  "--max-time",
                                   "10",   "-D",  "/dev/stderr", "-w", "\n%{http_code}"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.push_back(url);
  auto result = RunCommand(argv);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("curl exit ", result->exit_code, ": ", result->err));
  }
  HttpResponse response;
  const size_t last_newline = result->out.rfind('\n');
  response.body = result->out.substr(0, last_newline);
  response.code = std::stoi(result->out.substr(last_newline + 1));
  response.headers = result->err;
  return response;
}

std::vector<std::string> TagsOf(const HttpResponse& response) {
  const auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (!json.is_object() || !json.contains("tags") || !json["tags"].is_array())
    return {"<not a tag list: " + response.body + ">"};
  return json["tags"].get<std::vector<std::string>>();
}

absl::StatusOr<std::string> FetchRegistryToken(const std::string& repository, const std::vector<std::string>& auth) {
  const TestbedEnv& env = Env();
  std::vector<std::string> args = auth;
  args.insert(args.end(), {"-G", "--data-urlencode", "service=" + env.Value("WERF_TESTBED_TOKEN_SERVICE"),
                           "--data-urlencode", "scope=repository:" + repository + ":pull"});
  auto response = Get(env.Value("WERF_TESTBED_TOKEN_REALM"), args);
  if (!response.ok()) return response.status();
  if (response->code != 200) return absl::PermissionDeniedError(absl::StrCat("token issuer said ", response->code));
  const auto json = nlohmann::json::parse(response->body, nullptr, false);
  for (const char* field : {"token", "access_token", "expires_in", "issued_at"}) {
    if (!json.contains(field)) return absl::InternalError(absl::StrCat("token response lacks ", field));
  }
  return json["token"].get<std::string>();
}

class RegistryTest : public ::testing::TestWithParam<RegistryFlavour> {};

TEST_P(RegistryTest, PushedTagsAreListedWithTheRightCredentialsOnly) {
  ASSERT_OK_AND_ASSIGN(auto registry, GetRegistry(GetParam()));
  const std::string repository = absl::StrCat("werf/", UniqueName(FlavourName(GetParam())));
  ASSERT_OK(PushTags(registry, repository, {"1.0.0", "1.1.0", "2.0.0"}));
  const std::string url = absl::StrCat(registry.base_url(), "/v2/", repository, "/tags/list");

  std::vector<std::string> good_auth;
  switch (GetParam()) {
    case RegistryFlavour::kAnonymous:
    case RegistryFlavour::kV2:
      break;
    case RegistryFlavour::kBasic: {
      ASSERT_OK_AND_ASSIGN(auto anonymous, Get(url));
      EXPECT_EQ(anonymous.code, 401);
      EXPECT_THAT(anonymous.headers, HasSubstr("Basic realm="));
      ASSERT_OK_AND_ASSIGN(auto wrong, Get(url, {"-u", registry.username + ":wrong"}));
      EXPECT_EQ(wrong.code, 401);
      good_auth = {"-u", registry.username + ":" + registry.password};
      break;
    }
    case RegistryFlavour::kToken: {
      const TestbedEnv& env = Env();
      ASSERT_OK_AND_ASSIGN(auto anonymous, Get(url));
      EXPECT_EQ(anonymous.code, 401);
      EXPECT_THAT(anonymous.headers, HasSubstr("Bearer realm=\"" + env.Value("WERF_TESTBED_TOKEN_REALM")));
      // An anonymous token carries no access: the registry still says 401.
      ASSERT_OK_AND_ASSIGN(auto anonymous_token, FetchRegistryToken(repository, {}));
      ASSERT_OK_AND_ASSIGN(auto denied, Get(url, {"-H", "Authorization: Bearer " + anonymous_token}));
      EXPECT_EQ(denied.code, 401);
      EXPECT_FALSE(FetchRegistryToken(repository, {"-u", registry.username + ":wrong"}).ok());
      // The pull-only user reads tags but may not push.
      const std::string pull_user = env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_USER") + ":" +
                                    env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_PASSWORD");
      ASSERT_OK_AND_ASSIGN(auto pull_token, FetchRegistryToken(repository, {"-u", pull_user}));
      good_auth = {"-H", "Authorization: Bearer " + pull_token};
      Registry pull_only = registry;
      pull_only.username = env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_USER");
      pull_only.password = env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_PASSWORD");
      EXPECT_FALSE(PushTags(pull_only, repository, {"9.9.9"}).ok());
      break;
    }
    case RegistryFlavour::kTls: {
      // Without the test CA the client refuses the certificate (curl exit 60).
      ASSERT_OK_AND_ASSIGN(auto refused, RunCommand({"curl", "-sS", "--noproxy", "*", "--max-time", "10", url}));
      EXPECT_EQ(refused.exit_code, 60) << refused.err;
      Registry without_ca = registry;
      without_ca.ca_file.clear();
      EXPECT_FALSE(ListTagsWithCrane(without_ca, repository).ok());
      good_auth = {"--cacert", registry.ca_file};
      break;
    }
  }
  ASSERT_OK_AND_ASSIGN(auto listed, Get(url, good_auth));
  EXPECT_EQ(listed.code, 200) << listed.body;
  // distribution v3 sorts the list; docker-registry 2.8 returns directory order.
  EXPECT_THAT(TagsOf(listed), UnorderedElementsAre("1.0.0", "1.1.0", "2.0.0"));
  if (GetParam() != RegistryFlavour::kV2) {
    EXPECT_THAT(TagsOf(listed), ElementsAre("1.0.0", "1.1.0", "2.0.0"));
  }
  ASSERT_OK_AND_ASSIGN(auto crane_tags, ListTagsWithCrane(registry, repository));
  EXPECT_THAT(crane_tags, UnorderedElementsAre("1.0.0", "1.1.0", "2.0.0"));
}

INSTANTIATE_TEST_SUITE_P(AllFlavours, RegistryTest,
                         ::testing::Values(RegistryFlavour::kAnonymous, RegistryFlavour::kBasic,
                                           RegistryFlavour::kToken, RegistryFlavour::kTls, RegistryFlavour::kV2),
                         [](const auto& info) { return std::string(FlavourName(info.param)); });


// --- the real node ---------------------------------------------------------------------
// CTest runs these against a test bed of their own with the real node (WERF_TESTBED_REAL_NODE,
// entries testbed_node_test and testbed_node_down, label `node`); elsewhere they skip.

bool HasRealNode() { return !Env().Value("WERF_TESTBED_REAL_NODE").empty(); }

RunOptions Options(absl::Duration timeout, std::string working_dir = "") {
  RunOptions options;
  options.timeout = timeout;
  options.working_dir = std::move(working_dir);
  return options;
}

#define SKIP_WITHOUT_REAL_NODE()                                                                              \
  if (!HasRealNode()) GTEST_SKIP() << "this test bed has no real node (bring one up with "                   \
                                      "WERF_TESTBED_REAL_NODE=1; CTest does in testbed_node_up)"

// A namespace for one test, deleted (without waiting) at the end.
using ::werf::test_support::ScopedNamespace;

// The pod spec lines that put a pod on the real node: its label and a toleration of its taint.
std::string RealNodePlacement(absl::string_view indent) {
  const std::string label = Env().Value("WERF_TESTBED_REAL_NODE_LABEL");
  return absl::StrCat(indent, "nodeSelector: {", label, ": \"true\"}\n", indent, "tolerations: [{key: ", label,
                      ", operator: Exists, effect: NoSchedule}]\n");
}

// A pod on the real node running the test image (busybox) with COMMAND as `sh -c`.
std::string RealNodePodYaml(absl::string_view ns, absl::string_view name, absl::string_view command,
                            absl::string_view labels = "{}", absl::string_view resources = "{}") {
  return absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata: {name: ", name, ", namespace: ", ns, ", labels: ", labels,
                      "}\nspec:\n", RealNodePlacement("  "),
                      "  terminationGracePeriodSeconds: 1\n  restartPolicy: Never\n  containers:\n  - name: main\n"
                      "    image: ",
                      Env().Value("WERF_TESTBED_REAL_NODE_TEST_IMAGE"),
                      "\n    imagePullPolicy: Never\n    resources: ", resources, "\n    command: [sh, -c, '", command,
                      "']\n");
}

absl::Status WaitForPodReady(absl::string_view ns, absl::string_view name) {
  return Kubectl({"wait", "--for=condition=Ready", absl::StrCat("pod/", name), "-n", std::string(ns),
                  "--timeout=90s"},
                 Options(absl::Seconds(100)))
      .status();
}

TEST(RealNode, IsReadyLabelledAndTaintedAndNotKwoks) {
  SKIP_WITHOUT_REAL_NODE();
  const std::string node = Env().Value("WERF_TESTBED_REAL_NODE");
  const std::string label = Env().Value("WERF_TESTBED_REAL_NODE_LABEL");
  ASSERT_OK_AND_ASSIGN(auto ready, GetJsonPath({"node", node, ""}, R"({.status.conditions[?(@.type=="Ready")].status})"));
  EXPECT_EQ(ready, "True");
  ASSERT_OK_AND_ASSIGN(auto taints, GetJsonPath({"node", node, ""}, "{.spec.taints[*].key}"));
  EXPECT_EQ(taints, label);
  ASSERT_OK_AND_ASSIGN(auto labelled, GetJsonPath({"node", node, ""}, absl::StrCat("{.metadata.labels['", absl::StrReplaceAll(label, {{".", "\\."}}), "']}")));
  EXPECT_EQ(labelled, "true");
  ASSERT_OK_AND_ASSIGN(auto runtime, GetJsonPath({"node", node, ""}, "{.status.nodeInfo.containerRuntimeVersion}"));
  EXPECT_THAT(runtime, HasSubstr("containerd://"));
  // kwok leaves the real node alone: it manages only the Nodes annotated for it.
  ASSERT_OK_AND_ASSIGN(auto annotations, GetJsonPath({"node", node, ""}, "{.metadata.annotations}"));
  EXPECT_THAT(annotations, Not(HasSubstr("kwok.x-k8s.io/node")));
}

TEST(RealNode, PodsThatDoNotAskStayOffIt) {
  SKIP_WITHOUT_REAL_NODE();
  ScopedNamespace ns("node-off");
  ASSERT_OK(ns.status());
  ASSERT_OK(ApplyYaml(absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata: {name: plain, namespace: ", ns.name(),
                                   "}\nspec:\n  containers:\n  - {name: main, image: registry.invalid/none:1}\n")));
  ASSERT_OK_AND_ASSIGN(auto node, WaitForJsonPath({"pod", "plain", ns.name()}, "{.status.phase}", "Running",
                                             absl::Seconds(60)));
  ASSERT_OK_AND_ASSIGN(auto scheduled, GetJsonPath({"pod", "plain", ns.name()}, "{.spec.nodeName}"));
  EXPECT_THAT(scheduled, HasSubstr("kwok-node-"));
}

TEST(RealNode, PodRunsWithLogsExecAndPortForward) {
  SKIP_WITHOUT_REAL_NODE();
  ScopedNamespace ns("node-pod");
  ASSERT_OK(ns.status());
  ASSERT_OK(ApplyYaml(RealNodePodYaml(
      ns.name(), "web",
      "echo started as $(id -u); mkdir -p /tmp/www; echo served by $(hostname) >/tmp/www/index.html; "
      "exec httpd -f -p 8080 -h /tmp/www")));
  ASSERT_OK(WaitForPodReady(ns.name(), "web"));
  ASSERT_OK_AND_ASSIGN(auto node, GetJsonPath({"pod", "web", ns.name()}, "{.spec.nodeName}"));
  EXPECT_EQ(node, Env().Value("WERF_TESTBED_REAL_NODE"));
  ASSERT_OK_AND_ASSIGN(auto ip, GetJsonPath({"pod", "web", ns.name()}, "{.status.podIP}"));
  EXPECT_THAT(ip, ::testing::StartsWith("10.245.77."));

  // Logs come from the kubelet (the API server's connection to it on the node's InternalIP).
  ASSERT_OK(WaitFor(
      "the pod's log",
      [&]() -> absl::StatusOr<bool> {
        auto logs = Kubectl({"logs", "web", "-n", ns.name()});
        if (!logs.ok()) return logs.status();
        return absl::StrContains(*logs, "started as 0");
      },
      absl::Seconds(30)));
  ASSERT_OK_AND_ASSIGN(auto hostname, Kubectl({"exec", "web", "-n", ns.name(), "--", "cat", "/etc/hostname"}));
  EXPECT_EQ(absl::StripAsciiWhitespace(hostname), "web");

  // port-forward to a free local port; the shell prints what it fetched through it.
  const std::string script = absl::StrCat(
      "kubectl --kubeconfig \"$KUBECONFIG\" port-forward -n ", ns.name(),
      " pod/web :8080 >pf.out 2>&1 & pf=$!; "
      "for i in $(seq 100); do port=$(sed -n 's/^Forwarding from 127.0.0.1:\\([0-9]*\\) .*/\\1/p' pf.out); "
      "[ -n \"$port\" ] && break; sleep 0.1; done; "
      "curl -s --noproxy '*' --max-time 10 http://127.0.0.1:$port/; rc=$?; kill $pf; cat pf.out >&2; exit $rc");
  char dir_template[] = "/tmp/werf-pf-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  ASSERT_OK_AND_ASSIGN(auto fetched, RunCommandOk({"sh", "-c", script}, Options(absl::Seconds(30), dir_template)));
  (void)RunCommand({"rm", "-rf", dir_template});
  EXPECT_EQ(absl::StripAsciiWhitespace(fetched), "served by web");
}

TEST(RealNode, ClusterDnsServicesAndJobExitCodes) {
  SKIP_WITHOUT_REAL_NODE();
  ScopedNamespace ns("node-svc");
  ASSERT_OK(ns.status());
  ASSERT_OK(ApplyYaml(RealNodePodYaml(ns.name(), "web",
                                      "mkdir -p /tmp/www; echo hello-service >/tmp/www/index.html; "
                                      "exec httpd -f -p 8080 -h /tmp/www",
                                      "{app: web}")));
  ASSERT_OK(ApplyYaml(absl::StrCat("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ", ns.name(),
                                   "}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n")));
  ASSERT_OK(WaitForPodReady(ns.name(), "web"));

  // (busybox 1.35's `wget -T` crashes; hence timeout.)
  // A Job on the real node resolves the API server's and the Service's names through the
  // cluster DNS, fetches through the Service's ClusterIP (kube-proxy), and exits 3 with a
  // termination message, as a werf Job reports its outcome.
  const std::string service = absl::StrCat("web.", ns.name(), ".svc.cluster.local");
  const std::string command = absl::StrCat(
      "nslookup kubernetes.default.svc.cluster.local && nslookup ", service,
      " && for i in $(seq 30); do timeout 5 wget -q -O /tmp/got http://", service,
      "/ && break; sleep 1; done; cat /tmp/got; echo \"fetched $(cat /tmp/got)\" >/dev/termination-log; exit 3");
  ASSERT_OK(ApplyYaml(absl::StrCat("apiVersion: batch/v1\nkind: Job\nmetadata: {name: client, namespace: ", ns.name(),
                                   "}\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n",
                                   RealNodePlacement("      "),
                                   "      restartPolicy: Never\n      containers:\n      - name: main\n        image: ",
                                   Env().Value("WERF_TESTBED_REAL_NODE_TEST_IMAGE"),
                                   "\n        imagePullPolicy: Never\n        command: [sh, -c, '", command, "']\n")));
  ASSERT_OK_AND_ASSIGN(auto failed, WaitForJsonPath({"job", "client", ns.name()},
                                               R"({.status.conditions[?(@.type=="Failed")].status})", "True",
                                               absl::Seconds(120)));
  ASSERT_OK_AND_ASSIGN(auto terminated,
                       Kubectl({"get", "pods", "-n", ns.name(), "-l", "job-name=client", "-o",
                                "jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode} "
                                "{.items[0].status.containerStatuses[0].state.terminated.message}"}));
  EXPECT_EQ(absl::StripAsciiWhitespace(terminated), "3 fetched hello-service");
  ASSERT_OK_AND_ASSIGN(auto logs, Kubectl({"logs", "job/client", "-n", ns.name()}));
  EXPECT_THAT(logs, HasSubstr("Address: 10.96.0.1"));
  EXPECT_THAT(logs, HasSubstr("hello-service"));
}

TEST(RealNode, MemoryLimitIsEnforced) {
  SKIP_WITHOUT_REAL_NODE();
  ScopedNamespace ns("node-oom");
  ASSERT_OK(ns.status());
  // tail keeps a line without end in memory: far beyond the 32 MiB limit.
  ASSERT_OK(ApplyYaml(RealNodePodYaml(ns.name(), "hog", "head -c 500m /dev/zero | tail", "{}",
                                      "{limits: {memory: 32Mi}}")));
  ASSERT_OK_AND_ASSIGN(auto reason, WaitForJsonPath({"pod", "hog", ns.name()},
                                               "{.status.containerStatuses[0].state.terminated.reason}", "OOMKilled",
                                               absl::Seconds(90)));
  EXPECT_EQ(reason, "OOMKilled");
}

// --- the real node: down leaves nothing behind -------------------------------------------
// Runs `testbed down` (CTest: testbed_node_down, the cleanup of the `werf_testbed_node`
// fixture, after every test that uses that test bed).

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ino_t NamespaceInode(const std::string& pid, absl::string_view ns) {
  struct stat st;
  if (::stat(absl::StrCat("/proc/", pid, "/ns/", ns).c_str(), &st) != 0) return 0;
  return st.st_ino;
}

std::vector<std::string> AllPids() {
  std::vector<std::string> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) pids.push_back(name);
  }
  return pids;
}

// "pid starttime" of every process in the node's namespaces or cgroups.
std::vector<std::string> NodeProcesses(ino_t netns, ino_t mntns, const std::string& cgroup) {
  std::vector<std::string> found;
  for (const std::string& pid : AllPids()) {
    const bool in_ns = (netns != 0 && NamespaceInode(pid, "net") == netns) ||
                       (mntns != 0 && NamespaceInode(pid, "mnt") == mntns);
    const bool in_cgroup = absl::StrContains(ReadWholeFile(absl::StrCat("/proc/", pid, "/cgroup")),
                                             absl::StrCat(":/", cgroup));
    if (!in_ns && !in_cgroup) continue;
    const std::string stat = ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"));
    std::vector<std::string> fields = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
    if (fields.size() > 19 && fields[0] != "Z") found.push_back(absl::StrCat(pid, " ", fields[19]));
  }
  return found;
}

std::vector<std::string> HostIptablesChains() {
  std::vector<std::string> chains;
  for (const char* table : {"filter", "nat", "mangle"}) {
    auto out = RunCommandOk({"iptables-save", "-t", table});
    if (!out.ok()) continue;
    for (absl::string_view line : absl::StrSplit(*out, '\n')) {
      if (absl::ConsumePrefix(&line, ":")) chains.push_back(std::string(line.substr(0, line.find(' '))));
    }
  }
  return chains;
}

std::vector<std::string> NodeLikeChains(const std::vector<std::string>& chains) {
  std::vector<std::string> matching;
  for (const std::string& chain : chains) {
    if (absl::StartsWith(chain, "KUBE-") || absl::StartsWith(chain, "CNI-")) matching.push_back(chain);
  }
  return matching;
}

TEST(RealNodeDown, DownLeavesNothingBehind) {
  // Never takes down a test bed other tests still use by accident of a filter.
  const char* allowed = std::getenv("WERF_TESTBED_TEST_DOWN");
  if (allowed == nullptr || absl::string_view(allowed) != "1") {
    GTEST_SKIP() << "takes the test bed down; runs only with WERF_TESTBED_TEST_DOWN=1 (CTest: testbed_node_down)";
  }
  if (!HasRealNode()) {
    // The fixture's test bed came up without the node (WERF_TESTBED_REAL_NODE=auto): still stop it.
    ASSERT_OK_AND_ASSIGN(auto down, RunCommand({TestbedScript(), "down"}, Options(absl::Seconds(120))));
    ASSERT_EQ(down.exit_code, 0) << down.err;
    GTEST_SKIP() << "this test bed has no real node; stopped it";
  }
  const std::string state = Env().Value("WERF_TESTBED_DIR");
  const std::string cgroup = Env().Value("WERF_TESTBED_REAL_NODE_CGROUP");
  ASSERT_FALSE(cgroup.empty());
  // A pod running while the test bed goes down: its containers and shim must go too. (Its
  // namespace is not a ScopedNamespace: deleting it would stop the pod before the test bed.)
  {
    const std::string ns = UniqueName("node-down");
    ASSERT_OK_AND_ASSIGN(const std::shared_ptr<kube::RestClient> admin, werf::test_support::AdminClient());
    ASSERT_OK(werf::test_support::CreateNamespace(*admin, ns));
    ASSERT_OK(ApplyYaml(RealNodePodYaml(ns, "sleeper", "exec sleep 3600")));
    ASSERT_OK(WaitForPodReady(ns, "sleeper"));
  }

  // What the node is, seen from the host before down.
  ino_t netns = 0, mntns = 0;
  for (absl::string_view field : absl::StrSplit(ReadWholeFile(state + "/node/ns.env"), absl::ByAnyChar(" \n"))) {
    if (absl::ConsumePrefix(&field, "NODE_NETNS=")) netns = std::stoul(std::string(field));
    if (absl::ConsumePrefix(&field, "NODE_MNTNS=")) mntns = std::stoul(std::string(field));
  }
  ASSERT_NE(netns, 0u);
  ASSERT_NE(mntns, 0u);
  const std::vector<std::string> processes = NodeProcesses(netns, mntns, cgroup);
  // kubelet, containerd, kube-proxy, CoreDNS, the holder, a shim, pause and sleep at least.
  EXPECT_GE(processes.size(), 8u) << absl::StrJoin(processes, ", ");
  std::vector<std::string> created;
  for (absl::string_view line : absl::StrSplit(ReadWholeFile(state + "/node/created-host-dirs"), '\n', absl::SkipEmpty())) {
    created.push_back(std::string(line));
  }
  // The node's mounts, bridge and iptables chains are in its own namespaces, never the host's.
  const std::string host_mounts_before = ReadWholeFile("/proc/self/mountinfo");
  EXPECT_THAT(host_mounts_before, Not(HasSubstr(state + "/node")));
  EXPECT_THAT(NodeLikeChains(HostIptablesChains()), ElementsAre());

  ASSERT_OK_AND_ASSIGN(auto down, RunCommand({TestbedScript(), "down"}, Options(absl::Seconds(120))));
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_THAT(down.err, Not(HasSubstr("WARNING"))) << down.err;

  // No process: neither one seen before (same pid and start time) nor any in the namespaces or cgroups.
  for (const std::string& process : processes) {
    const std::vector<std::string> pid_start = absl::StrSplit(process, ' ');
    const std::string stat = ReadWholeFile(absl::StrCat("/proc/", pid_start[0], "/stat"));
    if (stat.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
    EXPECT_FALSE(fields.size() > 19 && fields[19] == pid_start[1] && fields[0] != "Z") << "still running: " << stat;
  }
  EXPECT_THAT(NodeProcesses(netns, mntns, cgroup), ElementsAre());
  // No mount, cgroup, link, chain, lock or directory of the node.
  const std::string host_mounts = ReadWholeFile("/proc/self/mountinfo");
  EXPECT_THAT(host_mounts, Not(HasSubstr(state)));
  for (absl::string_view path : absl::StrSplit(Env().Value("WERF_TESTBED_REAL_NODE_HOST_PATHS"), ' ', absl::SkipEmpty())) {
    EXPECT_THAT(host_mounts, Not(HasSubstr(absl::StrCat(" ", path, " ")))) << path;
  }
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    EXPECT_FALSE(std::filesystem::exists(hierarchy.path() / cgroup)) << (hierarchy.path() / cgroup);
  }
  for (absl::string_view link : absl::StrSplit(Env().Value("WERF_TESTBED_REAL_NODE_LINKS"), ' ', absl::SkipEmpty())) {
    EXPECT_FALSE(std::filesystem::exists(absl::StrCat("/sys/class/net/", link))) << link;
  }
  EXPECT_THAT(NodeLikeChains(HostIptablesChains()), ElementsAre());
  for (const std::string& dir : created) EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  const std::vector<std::string> paths = absl::StrSplit(Env().Value("WERF_TESTBED_REAL_NODE_HOST_PATHS"), ' ', absl::SkipEmpty());
  EXPECT_FALSE(std::filesystem::exists(paths.back())) << "lock " << paths.back();
  EXPECT_FALSE(std::filesystem::exists(state)) << state;
}

}  // namespace
}  // namespace werf::testbed
