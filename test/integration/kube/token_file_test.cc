// A kubeconfig `tokenFile` is re-read when the file is rewritten, as projected ServiceAccount
// tokens are rotated in place: the same client object switches identity without a restart.
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/api_error.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "test/integration/kube/kube_test_support.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::kube_test {
namespace {

using kube::resources::kConfigMaps;
using ::testing::HasSubstr;

// A reader ServiceAccount allowed to read (get, list, watch) ConfigMaps in NS only, and one with no rights.
constexpr char kRbacYaml[] = R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: NS}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: nobody, namespace: NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: configmap-reader, namespace: NS}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-reads-configmaps, namespace: NS}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmap-reader}
subjects:
- {kind: ServiceAccount, name: reader, namespace: NS}
)";

// Replaces the file the way the kubelet rotates a projected token: a new file renamed over
// the old one, so a reader never sees half a token.
absl::Status WriteTokenFile(const std::string& path, const std::string& token) {
  const std::string temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << token << "\n";
    if (!out) return absl::InternalError("cannot write " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return absl::InternalError("cannot rename " + temporary);
  return absl::OkStatus();
}

struct RotationStep {
  std::string description;
  std::string token;
  std::function<bool(const absl::Status&)> expected;
  // What the API server's refusal says, which the error must keep ("" when it succeeds).
  std::string server_message;
};

// A one-second watch; returns its result and the bytes handed to the caller as events.
absl::Status ShortWatch(kube::RestClient& client, const std::string& ns, std::string& streamed) {
  return client.Watch(
      kConfigMaps, ns, {.timeout_seconds = 1},
      [&](absl::string_view chunk) {
        streamed.append(chunk.data(), chunk.size());
        return true;
      },
      nullptr);
}

TEST(TokenFileRotation, RewrittenTokenFileIsPickedUpWithoutRestart) {
  ScopedNamespace ns("kube-token");
  ASSERT_TRUE(ns.ok()) << ns.status();
  ASSERT_OK(testbed::ApplyYaml(absl::StrReplaceAll(kRbacYaml, {{"NS", ns.name()}})));
  ASSERT_OK_AND_ASSIGN(const std::string reader_token, testbed::MintServiceAccountToken(ns.name(), "reader"));
  ASSERT_OK_AND_ASSIGN(const std::string nobody_token, testbed::MintServiceAccountToken(ns.name(), "nobody"));

  const std::string dir = absl::StrCat(TempDir(), "/", testbed::UniqueName("token"));
  ASSERT_OK(testbed::RunCommandOk({"mkdir", "-p", dir}).status());
  const std::string token_path = dir + "/token";
  ASSERT_OK(WriteTokenFile(token_path, reader_token));
  // A relative tokenFile is resolved against the kubeconfig's directory, as kubectl does.
  const std::string kubeconfig = absl::StrCat(R"(apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster: {server: ")", testbed::Env().Value("WERF_TESTBED_APISERVER"), R"(", certificate-authority: ")",
                                              testbed::Env().Value("WERF_TESTBED_CA"), R"("}
users:
- name: reader
  user: {tokenFile: token}
contexts:
- name: reader
  context: {cluster: testbed, user: reader, namespace: )", ns.name(), R"(}
current-context: reader
)");
  {
    std::ofstream out(dir + "/kubeconfig");
    out << kubeconfig;
  }
  ASSERT_OK_AND_ASSIGN(kube::ClusterConfig config, kube::LoadKubeconfig(dir + "/kubeconfig"));
  EXPECT_EQ(config.default_namespace, ns.name());
  ASSERT_OK_AND_ASSIGN(const std::shared_ptr<kube::RestClient> client, kube::RestClient::Create(std::move(config)));

  // RBAC reaches the authorizer's cache shortly after the RoleBinding is created.
  ASSERT_OK(testbed::WaitFor(
      "the reader's RoleBinding to take effect",
      [&]() -> absl::StatusOr<bool> { return client->List(kConfigMaps, ns.name()).status().ok(); },
      absl::Seconds(30)));
  const absl::Status elsewhere = client->List(kConfigMaps, "default").status();
  EXPECT_TRUE(kube::IsApiForbidden(elsewhere)) << "the Role is namespaced: " << elsewhere;

  const std::vector<RotationStep> steps = {
      {"a ServiceAccount without RBAC rights", nobody_token, kube::IsApiForbidden, "cannot list resource"},
      {"a token the API server cannot authenticate", "not-a-valid-token", kube::IsApiUnauthorized, "Unauthorized"},
      {"the reader again", reader_token, [](const absl::Status& status) { return status.ok(); }, ""},
      {"no rights again", nobody_token, kube::IsApiForbidden, "cannot list resource"},
      {"the reader once more", reader_token, [](const absl::Status& status) { return status.ok(); }, ""},
  };
  for (const RotationStep& step : steps) {
    SCOPED_TRACE(step.description);
    // File times tick with the kernel's coarse clock: keep rewrites apart so each one changes
    // the modification time the token source watches.
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_OK(WriteTokenFile(token_path, step.token));
    const absl::Status listed = client->List(kConfigMaps, ns.name()).status();
    EXPECT_TRUE(step.expected(listed)) << listed;
    EXPECT_THAT(std::string(listed.message()), HasSubstr(step.server_message));

    // A watch is refused the same way, and the refusal is an error, not a stream of events.
    std::string streamed;
    const absl::Status watched = ShortWatch(*client, ns.name(), streamed);
    EXPECT_TRUE(step.expected(watched)) << watched;
    EXPECT_THAT(std::string(watched.message()),
                HasSubstr(absl::StrReplaceAll(step.server_message, {{"list", "watch"}})));
    if (!watched.ok()) {
      EXPECT_EQ(streamed, "") << "a refused watch handed its error body over as events";
    }
  }
}

}  // namespace
}  // namespace werf::kube_test
