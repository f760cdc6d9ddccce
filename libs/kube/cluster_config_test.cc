#include "libs/kube/cluster_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::kube {
namespace {

using ::testing::HasSubstr;

class ClusterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("kubeconfig-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << content;
    return path.string();
  }

  std::filesystem::path dir_;
};

constexpr char kKubeconfig[] = R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: ca.crt
- name: other
  cluster:
    server: https://other:443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: robot
  user:
    tokenFile: token
contexts:
- name: admin
  context: {cluster: local, user: admin, namespace: team}
- name: robot
  context: {cluster: other, user: robot}
)";

TEST_F(ClusterConfigTest, CurrentContextWithRelativeCaFileAndInlineClientCert) {
  Write("ca.crt", "CA PEM");
  const auto config = LoadKubeconfig(Write("config", kKubeconfig));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, "CA PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
  EXPECT_EQ(config->default_namespace, "team");
  EXPECT_EQ(config->token, nullptr);
}

TEST_F(ClusterConfigTest, NamedContextWithTokenFileThatRotates) {
  const std::string token_path = Write("token", "first\n");
  const auto config = LoadKubeconfig(Write("config", kKubeconfig), "robot");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->default_namespace, "default");
  ASSERT_NE(config->token, nullptr);
  EXPECT_EQ(*config->token->Token(), "first");
  // A rewritten file is picked up at once (its modification time changed).
  std::filesystem::last_write_time(token_path, std::filesystem::file_time_type::clock::now() -
                                                   std::chrono::hours(1));
  (void)config->token->Token();
  Write("token", "second\n");
  EXPECT_EQ(*config->token->Token(), "second");
}

struct BrokenCase {
  std::string name;
  std::string yaml;
  std::string expected;  // substring naming the field
};

class BrokenKubeconfigTest : public ClusterConfigTest,
                             public ::testing::WithParamInterface<BrokenCase> {};

TEST_P(BrokenKubeconfigTest, ErrorNamesFileAndField) {
  const std::string path = Write("config", GetParam().yaml);
  const auto config = LoadKubeconfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(path));
  EXPECT_THAT(config.status().message(), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BrokenKubeconfigTest,
    ::testing::Values(
        BrokenCase{"no_current_context", "clusters: []\n", "current-context"},
        BrokenCase{"unknown_context", "current-context: x\ncontexts: []\n", "contexts"},
        BrokenCase{"no_server",
                   "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                   "clusters: [{name: k, cluster: {}}]\n",
                   "clusters[k].cluster.server"},
        BrokenCase{"bad_base64",
                   "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                   "clusters: [{name: k, cluster: {server: 'https://a', "
                   "certificate-authority-data: '!!!'}}]\n",
                   "certificate-authority-data"},
        BrokenCase{"missing_ca_file",
                   "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                   "clusters: [{name: k, cluster: {server: 'https://a', "
                   "certificate-authority: nope.crt}}]\n",
                   "certificate-authority"},
        BrokenCase{"cert_without_key",
                   "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
                   "clusters: [{name: k, cluster: {server: 'https://a'}}]\n"
                   "users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]\n",
                   "client-key"},
        BrokenCase{"not_yaml", "{{{", "not valid YAML"},
        BrokenCase{"server_not_url",
                   "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                   "clusters: [{name: k, cluster: {server: 'localhost:6443'}}]\n",
                   "server"}),
    [](const auto& info) { return info.param.name; });

TEST_F(ClusterConfigTest, MissingFileSaysWhatToCheck) {
  const auto config = LoadKubeconfig((dir_ / "absent").string());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("--kubeconfig"));
}

TEST_F(ClusterConfigTest, InClusterFromEnvironmentAndServiceAccountFiles) {
  Write("ca.crt", "SA CA");
  Write("token", "sa-token");
  Write("namespace", "werf-operator-system\n");
  setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  const auto config = LoadInClusterConfig(dir_.string());
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.0.0.1:443");
  EXPECT_EQ(config->ca_pem, "SA CA");
  EXPECT_EQ(*config->token->Token(), "sa-token");
  EXPECT_EQ(config->default_namespace, "werf-operator-system");
  EXPECT_TRUE(config->in_cluster);
  EXPECT_EQ(ProcessNamespace(*config, "elsewhere"), "werf-operator-system");
}

TEST_F(ClusterConfigTest, OutsideAClusterTheProcessNamespaceIsTheFallbackNotTheContexts) {
  const auto config = ParseKubeconfig(R"(
apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c, user: u, namespace: team-a}
clusters:
- name: c
  cluster: {server: "https://example:6443"}
users:
- name: u
  user: {token: t}
)",
                                      "/tmp/kubeconfig");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->in_cluster);
  EXPECT_EQ(config->default_namespace, "team-a");
  EXPECT_EQ(ProcessNamespace(*config, "werf-operator-system"), "werf-operator-system");
}

TEST_F(ClusterConfigTest, NotInClusterSaysPassKubeconfig) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  const auto config = LoadInClusterConfig(dir_.string());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("--kubeconfig"));
}

}  // namespace
}  // namespace werf::kube
