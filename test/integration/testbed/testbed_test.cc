// Checks that the test bed behaves like the real thing the operator will meet: Jobs run to
// Complete or Failed through kwok, ttl-after-finished and backoffLimit work, the registries
// list pushed tags and enforce their authentication, and a compacted etcd makes an old watch
// fail with 410 Gone.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test/integration/testbed/testbed_support.h"

namespace werf::testbed {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                             \
  auto lhs##_or = (expr);                                           \
  ASSERT_TRUE(lhs##_or.ok()) << #expr << ": " << lhs##_or.status(); \
  auto lhs = *std::move(lhs##_or)
#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const absl::Status status_ = (expr);                   \
    ASSERT_TRUE(status_.ok()) << #expr << ": " << status_; \
  } while (0)

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
        ready, GetJsonPath({"node", std::string(node), ""}, R"({.status.conditions[?(@.type=="Ready")].status})"));
    EXPECT_EQ(ready, "True") << node;
  }
}

TEST(Testbed, JobCompletesThroughKwokAndTtlAfterFinishedDeletesIt) {
  const std::string name = UniqueName("complete");
  ASSERT_OK(ApplyYaml(JobYaml(name, "  ttlSecondsAfterFinished: 2\n  backoffLimit: 0", "      labels: {}")));
  const ObjectRef job{"job", name};
  ASSERT_OK_AND_ASSIGN(complete, WaitForJsonPath(job, R"({.status.conditions[?(@.type=="Complete")].status})", "True",
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
  ASSERT_OK_AND_ASSIGN(terminated, Kubectl({"get", "pods", "-n", "default", "-l", "job-name=" + name, "-o",
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
  ASSERT_OK_AND_ASSIGN(reason, GetJsonPath(job, R"({.status.conditions[?(@.type=="Failed")].reason})"));
  EXPECT_EQ(reason, "BackoffLimitExceeded");
  ASSERT_OK_AND_ASSIGN(failed, GetJsonPath(job, "{.status.failed}"));
  EXPECT_EQ(failed, "2");
  ASSERT_OK_AND_ASSIGN(pods_json, Kubectl({"get", "pods", "-n", "default", "-l", "job-name=" + name, "-o", "json"}));
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
  ASSERT_OK_AND_ASSIGN(token, MintServiceAccountToken("default", sa, absl::Minutes(10)));
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
  ASSERT_OK_AND_ASSIGN(username, RunCommandOk(whoami));
  EXPECT_EQ(username, "system:serviceaccount:default:" + sa);
  auto list = as_sa;
  list.insert(list.end(), {"get", "secrets", "-n", "default"});
  ASSERT_OK_AND_ASSIGN(forbidden, RunCommand(list));
  EXPECT_NE(forbidden.exit_code, 0);
  EXPECT_THAT(forbidden.err, HasSubstr("forbidden"));
  (void)Kubectl({"delete", "serviceaccount", sa, "-n", "default", "--wait=false"});
}

TEST(Testbed, WatchFromCompactedResourceVersionGets410Gone) {
  const std::string name = UniqueName("compaction");
  ASSERT_OK(Kubectl({"create", "configmap", name, "-n", "default", "--from-literal=n=0"}).status());
  ASSERT_OK_AND_ASSIGN(old_version, GetJsonPath({"configmap", name}, "{.metadata.resourceVersion}"));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_OK(Kubectl({"patch", "configmap", name, "-n", "default", "--type=merge", "-p",
                       absl::StrCat(R"({"data":{"n":")", i, R"("}})")})
                  .status());
  }
  ASSERT_OK_AND_ASSIGN(revision, CompactEtcd());
  EXPECT_GT(revision, std::stoll(old_version));

  ASSERT_OK_AND_ASSIGN(
      events, Kubectl({"get", "--raw",
                       absl::StrCat("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=5&resourceVersion=",
                                    old_version)}));
  const std::string first_line = events.substr(0, events.find('\n'));
  const auto event = nlohmann::json::parse(first_line, nullptr, false);
  ASSERT_TRUE(event.is_object()) << events;
  EXPECT_EQ(event.value("type", ""), "ERROR") << events;
  EXPECT_EQ(event["object"].value("code", 0), 410) << events;
  EXPECT_EQ(event["object"].value("reason", ""), "Expired") << events;

  // A watch from the current resourceVersion is unaffected.
  ASSERT_OK_AND_ASSIGN(current, GetJsonPath({"configmap", name}, "{.metadata.resourceVersion}"));
  ASSERT_OK_AND_ASSIGN(
      fresh, Kubectl({"get", "--raw",
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
  ASSERT_OK_AND_ASSIGN(registry, GetRegistry(GetParam()));
  const std::string repository = absl::StrCat("werf/", UniqueName(FlavourName(GetParam())));
  ASSERT_OK(PushTags(registry, repository, {"1.0.0", "1.1.0", "2.0.0"}));
  const std::string url = absl::StrCat(registry.base_url(), "/v2/", repository, "/tags/list");

  std::vector<std::string> good_auth;
  switch (GetParam()) {
    case RegistryFlavour::kAnonymous:
    case RegistryFlavour::kV2:
      break;
    case RegistryFlavour::kBasic: {
      ASSERT_OK_AND_ASSIGN(anonymous, Get(url));
      EXPECT_EQ(anonymous.code, 401);
      EXPECT_THAT(anonymous.headers, HasSubstr("Basic realm="));
      ASSERT_OK_AND_ASSIGN(wrong, Get(url, {"-u", registry.username + ":wrong"}));
      EXPECT_EQ(wrong.code, 401);
      good_auth = {"-u", registry.username + ":" + registry.password};
      break;
    }
    case RegistryFlavour::kToken: {
      const TestbedEnv& env = Env();
      ASSERT_OK_AND_ASSIGN(anonymous, Get(url));
      EXPECT_EQ(anonymous.code, 401);
      EXPECT_THAT(anonymous.headers, HasSubstr("Bearer realm=\"" + env.Value("WERF_TESTBED_TOKEN_REALM")));
      // An anonymous token carries no access: the registry still says 401.
      ASSERT_OK_AND_ASSIGN(anonymous_token, FetchRegistryToken(repository, {}));
      ASSERT_OK_AND_ASSIGN(denied, Get(url, {"-H", "Authorization: Bearer " + anonymous_token}));
      EXPECT_EQ(denied.code, 401);
      EXPECT_FALSE(FetchRegistryToken(repository, {"-u", registry.username + ":wrong"}).ok());
      // The pull-only user reads tags but may not push.
      const std::string pull_user = env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_USER") + ":" +
                                    env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_PASSWORD");
      ASSERT_OK_AND_ASSIGN(pull_token, FetchRegistryToken(repository, {"-u", pull_user}));
      good_auth = {"-H", "Authorization: Bearer " + pull_token};
      Registry pull_only = registry;
      pull_only.username = env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_USER");
      pull_only.password = env.Value("WERF_TESTBED_REGISTRY_TOKEN_PULL_PASSWORD");
      EXPECT_FALSE(PushTags(pull_only, repository, {"9.9.9"}).ok());
      break;
    }
    case RegistryFlavour::kTls: {
      // Without the test CA the client refuses the certificate (curl exit 60).
      ASSERT_OK_AND_ASSIGN(refused, RunCommand({"curl", "-sS", "--noproxy", "*", "--max-time", "10", url}));
      EXPECT_EQ(refused.exit_code, 60) << refused.err;
      Registry without_ca = registry;
      without_ca.ca_file.clear();
      EXPECT_FALSE(ListTagsWithCrane(without_ca, repository).ok());
      good_auth = {"--cacert", registry.ca_file};
      break;
    }
  }
  ASSERT_OK_AND_ASSIGN(listed, Get(url, good_auth));
  EXPECT_EQ(listed.code, 200) << listed.body;
  // distribution v3 sorts the list; docker-registry 2.8 returns directory order.
  EXPECT_THAT(TagsOf(listed), UnorderedElementsAre("1.0.0", "1.1.0", "2.0.0"));
  if (GetParam() != RegistryFlavour::kV2) {
    EXPECT_THAT(TagsOf(listed), ElementsAre("1.0.0", "1.1.0", "2.0.0"));
  }
  ASSERT_OK_AND_ASSIGN(crane_tags, ListTagsWithCrane(registry, repository));
  EXPECT_THAT(crane_tags, UnorderedElementsAre("1.0.0", "1.1.0", "2.0.0"));
}

INSTANTIATE_TEST_SUITE_P(AllFlavours, RegistryTest,
                         ::testing::Values(RegistryFlavour::kAnonymous, RegistryFlavour::kBasic,
                                           RegistryFlavour::kToken, RegistryFlavour::kTls, RegistryFlavour::kV2),
                         [](const auto& info) { return std::string(FlavourName(info.param)); });

}  // namespace
}  // namespace werf::testbed
