#include "libs/kube/cluster_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace werf::kube {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " file ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Parsing context: the file, for messages and relative paths.
class KubeconfigReader {
 public:
  KubeconfigReader(absl::string_view path) : path_(path) {}

  absl::Status Error(absl::string_view field, absl::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", path_, ": ", field, ": ", problem));
  }

  // The named entry of a list such as `clusters`, whose entries are {name, <kind>}.
  absl::StatusOr<YAML::Node> Entry(const YAML::Node& root, const char* list, const char* kind,
                                   const std::string& name) const {
    const YAML::Node entries = root[list];
    if (entries && !entries.IsSequence()) return Error(list, "must be a list");
    if (entries) {
      for (const YAML::Node& entry : entries) {
        if (entry["name"] && entry["name"].as<std::string>() == name) {
          const YAML::Node body = entry[kind];
          if (!body || !body.IsMap()) {
            return Error(absl::StrCat(list, "[", name, "].", kind), "missing or not a map");
          }
          return body;
        }
      }
    }
    return Error(list, absl::StrCat("no entry named \"", name, "\""));
  }

  // `<field>-data` (base64) or `<field>` (a file path, relative to the kubeconfig).
  absl::StatusOr<std::string> DataOrFile(const YAML::Node& node, const std::string& field,
                                         const std::string& where) const {
    const std::string data_field = field + "-data";
    if (node[data_field]) {
      std::string decoded;
      if (!absl::Base64Unescape(node[data_field].as<std::string>(), &decoded)) {
        return Error(absl::StrCat(where, ".", data_field), "is not valid base64");
      }
      return decoded;
    }
    if (node[field]) {
      std::filesystem::path file(node[field].as<std::string>());
      if (file.is_relative()) file = std::filesystem::path(path_).parent_path() / file;
      absl::StatusOr<std::string> content = ReadFile(file.string(), field);
      if (!content.ok()) return Error(absl::StrCat(where, ".", field), content.status().message());
      return content;
    }
    return std::string();
  }

  std::string ResolvePath(const std::string& file) const {
    std::filesystem::path resolved(file);
    if (resolved.is_relative()) resolved = std::filesystem::path(path_).parent_path() / resolved;
    return resolved.string();
  }

 private:
  std::string path_;
};

absl::StatusOr<ClusterConfig> ParseKubeconfigYaml(const YAML::Node& root, absl::string_view path,
                                                  absl::string_view context_name) {
  const KubeconfigReader reader(path);
  if (!root.IsMap()) return reader.Error("document", "is not a YAML map");
  std::string context = std::string(context_name);
  if (context.empty()) {
    if (!root["current-context"] || root["current-context"].as<std::string>().empty()) {
      return reader.Error("current-context", "is not set; pass a context name");
    }
    context = root["current-context"].as<std::string>();
  }
  ASSIGN_OR_RETURN(YAML::Node context_body, reader.Entry(root, "contexts", "context", context));
  if (!context_body["cluster"]) {
    return reader.Error(absl::StrCat("contexts[", context, "].context.cluster"), "is not set");
  }
  const std::string cluster_name = context_body["cluster"].as<std::string>();
  ASSIGN_OR_RETURN(YAML::Node cluster, reader.Entry(root, "clusters", "cluster", cluster_name));

  ClusterConfig config;
  config.origin = absl::StrCat("kubeconfig ", path, " (context \"", context, "\")");
  const std::string cluster_where = absl::StrCat("clusters[", cluster_name, "].cluster");
  if (!cluster["server"] || cluster["server"].as<std::string>().empty()) {
    return reader.Error(cluster_where + ".server", "is not set");
  }
  config.server = cluster["server"].as<std::string>();
  while (absl::EndsWith(config.server, "/")) config.server.pop_back();
  if (!absl::StartsWith(config.server, "https://") && !absl::StartsWith(config.server, "http://")) {
    return reader.Error(cluster_where + ".server",
                        absl::StrCat("\"", config.server, "\" is not an http(s) URL"));
  }
  ASSIGN_OR_RETURN(config.ca_pem,
                   reader.DataOrFile(cluster, "certificate-authority", cluster_where));
  if (cluster["insecure-skip-tls-verify"]) {
    config.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"].as<bool>();
  }
  if (cluster["tls-server-name"]) config.tls_server_name = cluster["tls-server-name"].as<std::string>();

  if (context_body["user"]) {
    const std::string user_name = context_body["user"].as<std::string>();
    ASSIGN_OR_RETURN(YAML::Node user, reader.Entry(root, "users", "user", user_name));
    const std::string user_where = absl::StrCat("users[", user_name, "].user");
    ASSIGN_OR_RETURN(config.client_cert_pem,
                     reader.DataOrFile(user, "client-certificate", user_where));
    ASSIGN_OR_RETURN(config.client_key_pem, reader.DataOrFile(user, "client-key", user_where));
    if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
      return reader.Error(user_where, "client-certificate and client-key must be given together");
    }
    if (user["token"]) {
      config.token = std::make_shared<StaticTokenSource>(user["token"].as<std::string>());
    } else if (user["tokenFile"]) {
      config.token = std::make_shared<FileTokenSource>(
          reader.ResolvePath(user["tokenFile"].as<std::string>()));
    }
    for (const char* unsupported : {"exec", "auth-provider", "username"}) {
      if (user[unsupported]) {
        return reader.Error(absl::StrCat(user_where, ".", unsupported),
                            "is not supported; use a client certificate or a token");
      }
    }
  }
  if (context_body["namespace"]) {
    config.default_namespace = context_body["namespace"].as<std::string>();
  }
  return config;
}

}  // namespace

absl::StatusOr<ClusterConfig> ParseKubeconfig(absl::string_view yaml_text, absl::string_view path,
                                              absl::string_view context) {
  try {
    return ParseKubeconfigYaml(YAML::Load(std::string(yaml_text)), path, context);
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports problems by exception; they stop here.
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", path, ": not valid YAML or a field has the wrong type: ",
                     e.what()));
  }
}

absl::StatusOr<ClusterConfig> LoadKubeconfig(absl::string_view path, absl::string_view context) {
  const std::string file(path);
  absl::StatusOr<std::string> text = ReadFile(file, "kubeconfig");
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat("kubeconfig ", path,
                                            " cannot be read: check --kubeconfig or $KUBECONFIG"));
  }
  return ParseKubeconfig(*text, path, context);
}

absl::StatusOr<ClusterConfig> LoadInClusterConfig(absl::string_view service_account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return absl::FailedPreconditionError(
        "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset): pass --kubeconfig");
  }
  const std::string dir(service_account_dir);
  ClusterConfig config;
  const std::string host_text(host);
  config.server = absl::StrContains(host_text, ':')
                      ? absl::StrCat("https://[", host_text, "]:", port)
                      : absl::StrCat("https://", host_text, ":", port);
  ASSIGN_OR_RETURN(config.ca_pem, ReadFile(dir + "/ca.crt", "ServiceAccount CA"));
  auto token = std::make_shared<FileTokenSource>(dir + "/token");
  RETURN_IF_ERROR(token->Token().status());
  config.token = std::move(token);
  absl::StatusOr<std::string> ns = ReadFile(dir + "/namespace", "ServiceAccount namespace");
  if (ns.ok()) config.default_namespace = std::string(absl::StripAsciiWhitespace(*ns));
  config.origin = absl::StrCat("in-cluster ServiceAccount (", dir, ")");
  config.in_cluster = true;
  return config;
}

std::string ProcessNamespace(const ClusterConfig& config, absl::string_view outside_cluster) {
  return config.in_cluster ? config.default_namespace : std::string(outside_cluster);
}

absl::StatusOr<ClusterConfig> LoadClusterConfig(absl::string_view kubeconfig_flag) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag);
  absl::StatusOr<ClusterConfig> in_cluster = LoadInClusterConfig();
  if (in_cluster.ok() || std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return in_cluster;
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    return LoadKubeconfig(env);
  }
  return in_cluster;
}

}  // namespace werf::kube
