// How to reach and authenticate to a Kubernetes API server: from a kubeconfig file
// (as kubectl reads it) or from the in-cluster ServiceAccount mount.
#ifndef WERF_OPERATOR_LIBS_KUBE_CLUSTER_CONFIG_H_
#define WERF_OPERATOR_LIBS_KUBE_CLUSTER_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/kube/token_source.h"

namespace werf::kube {

struct ClusterConfig {
  std::string server{};           // https://host:port, no trailing slash
  std::string ca_pem{};           // PEM roots for the server; empty means the system roots
  std::string client_cert_pem{};  // client certificate authentication, both or neither
  std::string client_key_pem{};
  std::shared_ptr<TokenSource> token{};  // bearer token authentication; may be null
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name{};  // SNI / verification name override
  std::string default_namespace = "default";
  // From the in-cluster ServiceAccount mount; default_namespace is then the pod's own.
  bool in_cluster = false;
  // Where the configuration came from, for messages ("kubeconfig /root/.kube/config").
  std::string origin{};
};

// Reads a kubeconfig. `context` empty means current-context. Relative file paths
// inside it are resolved against the file's directory, as kubectl does. Errors name
// the file and the field that is wrong.
absl::StatusOr<ClusterConfig> LoadKubeconfig(absl::string_view path, absl::string_view context = "");

// Parses kubeconfig text; `path` is used for messages and relative paths only.
absl::StatusOr<ClusterConfig> ParseKubeconfig(absl::string_view yaml_text, absl::string_view path,
                                              absl::string_view context = "");

// The in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount
// files under `service_account_dir` (token re-read as it rotates, ca.crt, namespace).
absl::StatusOr<ClusterConfig> LoadInClusterConfig(
    absl::string_view service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// The namespace this process runs in: the ServiceAccount's when in a cluster, else
// `outside_cluster` (a kubeconfig's context namespace says where to act, not where we run).
std::string ProcessNamespace(const ClusterConfig& config, absl::string_view outside_cluster);

// --kubeconfig semantics shared by every service: a path loads that file; empty
// means in-cluster, falling back to $KUBECONFIG when not running in a cluster.
absl::StatusOr<ClusterConfig> LoadClusterConfig(absl::string_view kubeconfig_flag);

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_CLUSTER_CONFIG_H_
