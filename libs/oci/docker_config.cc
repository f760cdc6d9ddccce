#include "libs/oci/docker_config.h"

#include <cstddef>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"
#include "nlohmann/json.hpp"

namespace werf::oci {
namespace {

using Json = nlohmann::json;

constexpr absl::string_view kDockerConfigJsonKey = ".dockerconfigjson";
constexpr absl::string_view kDockerCfgKey = ".dockercfg";

struct KeyParts {
  std::string registry;
  std::string path_prefix;
};

// "https://index.docker.io/v1/" -> {docker.io, ""}; "registry.example.com/team/" -> {..., "team"}.
std::optional<KeyParts> ParseKey(absl::string_view key) {
  absl::string_view rest = absl::StripAsciiWhitespace(key);
  if (const size_t scheme = rest.find("://"); scheme != absl::string_view::npos) rest.remove_prefix(scheme + 3);
  const size_t slash = rest.find('/');
  const absl::string_view host = rest.substr(0, slash);
  absl::string_view path = slash == absl::string_view::npos ? absl::string_view() : rest.substr(slash);
  while (absl::ConsumePrefix(&path, "/")) {
  }
  while (absl::ConsumeSuffix(&path, "/")) {
  }
  // `docker login` writes the API version path (https://index.docker.io/v1/); it is no repository.
  if (path == "v1" || path == "v2") path = {};
  if (host.empty()) return std::nullopt;
  return KeyParts{CanonicalRegistry(host), std::string(path)};
}

// True when `prefix` is empty or names `path` or one of its parent directories.
bool PathHasPrefix(absl::string_view path, absl::string_view prefix) {
  if (prefix.empty() || path == prefix) return true;
  return absl::StartsWith(path, prefix) && path[prefix.size()] == '/';
}

std::string Quote(absl::string_view text) { return absl::StrCat("\"", absl::CHexEscape(text.substr(0, 200)), "\""); }

// Reads a string field; an error (by name, never by value) when it has another type.
absl::Status ReadString(const Json& entry, const char* field, std::string& out) {
  auto it = entry.find(field);
  if (it == entry.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat("field \"", field, "\" is not a string"));
  out = it->get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status ReadCredentials(const Json& entry, Credentials& credentials) {
  if (!entry.is_object()) return absl::InvalidArgumentError("the entry is not a JSON object");
  std::string auth;
  for (auto [field, out] : {std::pair<const char*, std::string*>{"auth", &auth},
                            {"username", &credentials.username},
                            {"password", &credentials.password},
                            {"identitytoken", &credentials.identity_token},
                            {"registrytoken", &credentials.registry_token}}) {
    RETURN_IF_ERROR(ReadString(entry, field, *out));
  }
  if (!auth.empty()) {
    // As the docker CLI does, `auth` wins over separate username/password.
    std::string decoded;
    const size_t colon = absl::Base64Unescape(auth, &decoded) ? decoded.find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError("field \"auth\" is not base64 of username:password");
    }
    credentials.username = decoded.substr(0, colon);
    credentials.password = decoded.substr(colon + 1);
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> ParseObject(absl::string_view json, absl::string_view what) {
  Json parsed = Json::parse(json.begin(), json.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not a JSON object"));
  }
  return parsed;
}

enum class SecretFormat { kDockerConfigJson, kDockerCfg, kBasicAuth };

// By the Secret type; for Opaque (or any other) Secrets, by the keys present.
absl::StatusOr<SecretFormat> DetectFormat(absl::string_view type, const SecretData& data) {
  if (type == kDockerConfigJsonSecretType) return SecretFormat::kDockerConfigJson;
  if (type == kDockerCfgSecretType) return SecretFormat::kDockerCfg;
  if (type == kBasicAuthSecretType) return SecretFormat::kBasicAuth;
  if (data.contains(kDockerConfigJsonKey)) return SecretFormat::kDockerConfigJson;
  if (data.contains(kDockerCfgKey)) return SecretFormat::kDockerCfg;
  if (data.contains("username") || data.contains("password")) return SecretFormat::kBasicAuth;
  return absl::InvalidArgumentError(
      absl::StrCat("a Secret of type ", Quote(type),
                   " holds no registry credentials: it needs .dockerconfigjson (kubernetes.io/dockerconfigjson) "
                   "or username and password (kubernetes.io/basic-auth)"));
}

}  // namespace

absl::StatusOr<DockerConfig> DockerConfig::Parse(absl::string_view json) {
  ASSIGN_OR_RETURN(const Json config, ParseObject(json, kDockerConfigJsonKey));
  auto auths = config.find("auths");
  if (auths == config.end() || auths->is_null()) return DockerConfig();  // credential helpers only
  if (!auths->is_object()) return absl::InvalidArgumentError("\"auths\" in .dockerconfigjson is not a JSON object");
  return ParseLegacy(auths->dump());
}

absl::StatusOr<DockerConfig> DockerConfig::ParseLegacy(absl::string_view json) {
  ASSIGN_OR_RETURN(const Json auths, ParseObject(json, "the docker config auths"));
  DockerConfig config;
  for (const auto& [key, value] : auths.items()) {
    std::optional<KeyParts> parts = ParseKey(key);
    if (!parts.has_value()) continue;
    Entry entry{.key = key, .registry = std::move(parts->registry), .path_prefix = std::move(parts->path_prefix)};
    if (absl::Status status = ReadCredentials(value, entry.credentials); !status.ok()) {
      entry.error = std::string(status.message());
    } else if (entry.credentials.empty()) {
      continue;
    }
    config.entries_.push_back(std::move(entry));
  }
  return config;
}

absl::StatusOr<std::optional<Credentials>> DockerConfig::Find(const RepositoryRef& repository) const {
  const Entry* best = nullptr;
  for (const Entry& entry : entries_) {
    if (entry.registry != repository.registry() || !PathHasPrefix(repository.path(), entry.path_prefix)) continue;
    // Entries come in key order (nlohmann keeps objects sorted), so '>' keeps the first of a tie.
    if (best == nullptr || entry.path_prefix.size() > best->path_prefix.size()) best = &entry;
  }
  if (best == nullptr) return std::nullopt;
  if (!best->error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the docker config entry ", Quote(best->key), " for ", repository.registry(), ": ", best->error));
  }
  return best->credentials;
}

absl::StatusOr<std::optional<Credentials>> CredentialsFromSecret(absl::string_view type, const SecretData& data,
                                                                 const RepositoryRef& repository) {
  ASSIGN_OR_RETURN(const SecretFormat format, DetectFormat(type, data));
  if (format == SecretFormat::kBasicAuth) {
    Credentials credentials;
    if (auto username = data.find("username"); username != data.end()) credentials.username = username->second;
    if (auto password = data.find("password"); password != data.end()) credentials.password = password->second;
    if (credentials.username.empty()) return absl::InvalidArgumentError("the basic-auth Secret has no username");
    return credentials;
  }
  const bool legacy = format == SecretFormat::kDockerCfg;
  const absl::string_view key = legacy ? kDockerCfgKey : kDockerConfigJsonKey;
  auto content = data.find(key);
  if (content == data.end()) {
    return absl::InvalidArgumentError(absl::StrCat("a ", type, " Secret must have the key ", key));
  }
  ASSIGN_OR_RETURN(const DockerConfig config,
                   legacy ? DockerConfig::ParseLegacy(content->second) : DockerConfig::Parse(content->second));
  return config.Find(repository);
}

std::string DockerConfigAuthKey(const RepositoryRef& repository) {
  return IsDockerHub(repository.registry()) ? "https://index.docker.io/v1/" : repository.registry();
}

absl::StatusOr<std::string> DockerConfigJsonFromSecret(absl::string_view type, const SecretData& data,
                                                       const RepositoryRef& repository) {
  ASSIGN_OR_RETURN(const SecretFormat format, DetectFormat(type, data));
  if (format == SecretFormat::kBasicAuth) {
    auto username = data.find("username");
    auto password = data.find("password");
    if (username == data.end() || username->second.empty()) {
      return absl::InvalidArgumentError("the basic-auth Secret has no username");
    }
    const std::string password_value = password == data.end() ? "" : password->second;
    return Json{{"auths",
                 {{DockerConfigAuthKey(repository),
                   {{"auth", absl::Base64Escape(absl::StrCat(username->second, ":", password_value))}}}}}}
        .dump();
  }
  const bool legacy = format == SecretFormat::kDockerCfg;
  const absl::string_view key = legacy ? kDockerCfgKey : kDockerConfigJsonKey;
  auto content = data.find(key);
  if (content == data.end()) return absl::InvalidArgumentError(absl::StrCat("a ", type, " Secret must have the key ", key));
  // Read as the registry client reads it, so werf gets what the poller could use.
  RETURN_IF_ERROR(
      (legacy ? DockerConfig::ParseLegacy(content->second) : DockerConfig::Parse(content->second)).status());
  if (!legacy) return content->second;
  return Json{{"auths", Json::parse(content->second)}}.dump();
}

}  // namespace werf::oci
