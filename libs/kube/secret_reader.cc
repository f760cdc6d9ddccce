#include "libs/kube/secret_reader.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/kube/api_error.h"

namespace werf::kube {

absl::StatusOr<SecretContent> ReadSecret(RestClient& client, absl::string_view ns, absl::string_view name,
                                         absl::string_view purpose, absl::string_view reader) {
  absl::StatusOr<nlohmann::json> secret = client.Get(resources::kSecrets, ns, name);
  const std::string named = absl::StrCat(purpose, " Secret \"", name, "\" in namespace \"", ns, "\"");
  if (!secret.ok()) {
    if (IsApiNotFound(secret.status())) {
      return absl::FailedPreconditionError(absl::StrCat(named, " not found: create it or fix the bundle"));
    }
    if (IsApiForbidden(secret.status())) {
      return absl::PermissionDeniedError(
          absl::StrCat(reader, " may not read ", named, ": grant it get on secrets"));
    }
    return absl::UnavailableError(absl::StrCat("cannot read ", named, ": ", secret.status().message()));
  }
  SecretContent content;
  content.type = secret->value("type", "Opaque");
  const nlohmann::json data = secret->value("data", nlohmann::json::object());
  for (const auto& [key, value] : data.items()) {
    std::string decoded;
    if (!value.is_string() || !absl::Base64Unescape(value.get<std::string>(), &decoded)) {
      return absl::FailedPreconditionError(absl::StrCat(named, " key \"", key, "\" is not valid base64"));
    }
    content.data[key] = std::move(decoded);
  }
  return content;
}

}  // namespace werf::kube
