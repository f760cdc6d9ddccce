#include "libs/kube/secret_reader.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/kube/api_error.h"

namespace werf::kube {
namespace {

std::string Named(absl::string_view purpose, absl::string_view ns, absl::string_view name) {
  return absl::StrCat(purpose, " Secret \"", name, "\" in namespace \"", ns, "\"");
}

}  // namespace

absl::StatusOr<DecodedData> DecodeBytesField(const nlohmann::json& object, absl::string_view field) {
  DecodedData decoded;
  const auto found = object.is_object() ? object.find(field) : object.end();
  if (!object.is_object() || found == object.end() || found->is_null()) return decoded;
  if (!found->is_object()) return absl::InvalidArgumentError(absl::StrCat("\"", field, "\" is not a map"));
  for (const auto& [key, value] : found->items()) {
    std::string bytes;
    if (!value.is_string() || !absl::Base64Unescape(value.get<std::string>(), &bytes)) {
      return absl::InvalidArgumentError(absl::StrCat("key \"", key, "\" is not valid base64"));
    }
    decoded.emplace(key, std::move(bytes));
  }
  return decoded;
}

absl::StatusOr<SecretContent> DecodeSecret(const nlohmann::json& secret) {
  SecretContent content;
  const auto type = secret.is_object() ? secret.find("type") : secret.end();
  content.type = type != secret.end() && type->is_string() ? type->get<std::string>() : "Opaque";
  ASSIGN_OR_RETURN(content.data, DecodeBytesField(secret, "data"));
  return content;
}

absl::StatusOr<std::optional<SecretContent>> ReadSecretIfExists(RestClient& client, absl::string_view ns,
                                                                absl::string_view name,
                                                                absl::string_view purpose,
                                                                absl::string_view reader) {
  absl::StatusOr<nlohmann::json> secret = client.Get(resources::kSecrets, ns, name);
  if (!secret.ok()) {
    if (IsApiNotFound(secret.status())) return std::optional<SecretContent>();
    if (IsApiForbidden(secret.status())) {
      return absl::PermissionDeniedError(
          absl::StrCat(reader, " may not read ", Named(purpose, ns, name), ": grant it get on secrets"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot read ", Named(purpose, ns, name), ": ", secret.status().message()));
  }
  absl::StatusOr<SecretContent> content = DecodeSecret(*secret);
  if (!content.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(Named(purpose, ns, name), " ", content.status().message()));
  }
  return std::optional<SecretContent>(*std::move(content));
}

absl::StatusOr<SecretContent> ReadSecret(RestClient& client, absl::string_view ns, absl::string_view name,
                                         absl::string_view purpose, absl::string_view reader) {
  ASSIGN_OR_RETURN(std::optional<SecretContent> secret, ReadSecretIfExists(client, ns, name, purpose, reader));
  if (!secret.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(Named(purpose, ns, name), " not found: create it or fix the bundle"));
  }
  return *std::move(secret);
}

}  // namespace werf::kube
