#include "services/poller/webhook_secrets.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"

namespace werf::poller {

absl::StatusOr<std::optional<std::string>> KubeWebhookSecrets::Get(const std::string& source) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  if (now - read_at_ >= ttl_) {
    absl::StatusOr<nlohmann::json> secret = client_->Get(kube::resources::kSecrets, ns_, name_);
    if (!secret.ok() && !kube::IsApiNotFound(secret.status())) {
      return absl::UnavailableError(
          absl::StrCat("cannot read the webhook Secret ", ns_, "/", name_, ": ", secret.status().message()));
    }
    values_.clear();
    if (secret.ok()) {  // not found: every source disabled
      const nlohmann::json data = secret->value("data", nlohmann::json::object());
      for (const auto& [key, value] : data.items()) {
        std::string decoded;
        if (value.is_string() && absl::Base64Unescape(value.get<std::string>(), &decoded) && !decoded.empty()) {
          values_[key] = std::move(decoded);
        }
      }
    }
    read_at_ = now;
  }
  auto it = values_.find(source);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

}  // namespace werf::poller
