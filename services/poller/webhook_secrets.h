// The receiver's per-source secrets: one Kubernetes Secret in the operator's
// namespace, one key per source (`github`, `harbor`, `dockerhub`, ...). A source
// without a key is disabled. Read through the API and kept for a short time, so a
// rotated secret takes effect within `ttl` and a burst of deliveries costs one GET.
#ifndef WERF_OPERATOR_SERVICES_POLLER_WEBHOOK_SECRETS_H_
#define WERF_OPERATOR_SERVICES_POLLER_WEBHOOK_SECRETS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/kube/rest_client.h"

namespace werf::poller {

class WebhookSecrets {
 public:
  virtual ~WebhookSecrets() = default;
  // The secret configured for `source`, nullopt when the source is disabled; an
  // error when the Secret cannot be read (the receiver answers 503).
  virtual absl::StatusOr<std::optional<std::string>> Get(const std::string& source) = 0;
};

// WebhookSecrets from Secret `ns/name`.
class KubeWebhookSecrets final : public WebhookSecrets {
 public:
  // `clock` decides when the cached values are older than `ttl`; it must outlive this.
  KubeWebhookSecrets(std::shared_ptr<kube::RestClient> client, std::string ns, std::string name,
                     absl::Duration ttl = absl::Seconds(10), common::Clock& clock = common::RealClock())
      : client_(std::move(client)), ns_(std::move(ns)), name_(std::move(name)), ttl_(ttl), clock_(clock) {}

  absl::StatusOr<std::optional<std::string>> Get(const std::string& source) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::shared_ptr<kube::RestClient> client_;
  const std::string ns_;
  const std::string name_;
  const absl::Duration ttl_;
  common::Clock& clock_;
  absl::Mutex mu_;
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<std::string, std::string> values_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_WEBHOOK_SECRETS_H_
