#include "services/controller/values_key.h"

#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_context.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"

namespace werf::controller {
namespace {

absl::StatusOr<std::string> KeyOf(const nlohmann::json& secret, const std::string& ns) {
  const nlohmann::json data = secret.value("data", nlohmann::json::object());
  std::string key;
  if (!data.contains("key") || !data["key"].is_string() || !absl::Base64Unescape(data["key"].get<std::string>(), &key) ||
      key.size() < 16) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Secret ", ns, "/", kValuesKeySecret, " has no usable key \"key\" (at least 16 bytes); delete it and a "
        "controller creates a new one (every bundle then redeploys once)"));
  }
  return key;
}

}  // namespace

absl::StatusOr<std::string> LoadOrCreateValuesKey(kube::RestClient& client, const std::string& ns) {
  absl::StatusOr<nlohmann::json> existing = client.Get(kube::resources::kSecrets, ns, kValuesKeySecret);
  if (existing.ok()) return KeyOf(*existing, ns);
  if (!kube::IsApiNotFound(existing.status())) {
    return common::WithContext(existing.status(), absl::StrCat("reading Secret ", ns, "/", kValuesKeySecret));
  }
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return absl::InternalError("no random bytes for the values key");
  const nlohmann::json secret = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"type", "Opaque"},
      {"metadata",
       {{"name", kValuesKeySecret},
        {"namespace", ns},
        {"labels", {{"app.kubernetes.io/managed-by", "werf-operator"}}}}},
      {"data", {{"key", absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)))}}}};
  absl::StatusOr<nlohmann::json> created = client.Create(kube::resources::kSecrets, ns, secret);
  if (created.ok()) return KeyOf(*created, ns);
  if (kube::IsApiAlreadyExists(created.status())) {  // another replica was first
    absl::StatusOr<nlohmann::json> theirs = client.Get(kube::resources::kSecrets, ns, kValuesKeySecret);
    if (theirs.ok()) return KeyOf(*theirs, ns);
    return theirs.status();
  }
  return common::WithContext(created.status(), absl::StrCat("creating Secret ", ns, "/", kValuesKeySecret));
}

}  // namespace werf::controller
