// The poller's registry webhook receiver. Every poller replica serves it (the
// Service spreads deliveries over them); each authenticated event goes to the hub,
// which has the poller owning the repository poll it soon. The poller is the
// natural home: it is the service that talks to registries, it is already scaled
// out, and it holds a hub stream, so the receiver adds no service and no state.
//
//   POST /hooks/<source>            distribution, github, harbor, gitlab, cloudevents, generic
//   POST /hooks/<source>/<token>    dockerhub, quay (they cannot sign or send headers)
//
// Answers: 202 authenticated and parsed (whatever repositories it names: whether one
// is known is never told), 400 malformed (with the reason), 401 bad or missing
// signature/token, 404 unknown or disabled source, 413 body too large, 429 the
// source's rate limit, 503 the secrets cannot be read.
#ifndef WERF_OPERATOR_SERVICES_POLLER_WEBHOOK_RECEIVER_H_
#define WERF_OPERATOR_SERVICES_POLLER_WEBHOOK_RECEIVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "libs/common/clock.h"
#include "libs/common/http_server.h"
#include "libs/common/token_bucket.h"
#include "libs/webhook/repository_event.h"
#include "services/poller/webhook_secrets.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::poller {

// How a source proves a delivery is genuine.
enum class WebhookAuth {
  kHubSignature256,      // X-Hub-Signature-256: sha256=HMAC(secret, body) (GitHub, generic)
  kBearer,               // Authorization: Bearer <secret> (distribution, CloudEvents senders)
  kAuthorizationHeader,  // Authorization: <secret> verbatim (Harbor's "Auth Header")
  kGitlabToken,          // X-Gitlab-Token: <secret>
  kPathToken,            // /hooks/<source>/<secret> (Docker Hub, Quay: no signature)
};

struct WebhookSource {
  std::string name;
  WebhookAuth auth;
  webhook::Parser parse;
};

// The sources the receiver serves, by name.
const std::map<std::string, WebhookSource>& WebhookSources();

class WebhookReceiver {
 public:
  struct Options {
    std::string address{};  // host:port to listen on
    size_t max_body_bytes = 1 << 20;
    // Per source, per replica: deliveries per second on average and in a burst.
    double qps = 50;
    int burst = 500;
    // Refills the rate limits and stamps events' received_at; defaults to
    // common::RealClock(). Must outlive the receiver.
    common::Clock* clock = nullptr;
  };

  // `forward` sends one event to the hub; it is called on the HTTP thread.
  static absl::StatusOr<std::unique_ptr<WebhookReceiver>> Start(
      Options options, std::unique_ptr<WebhookSecrets> secrets,
      std::function<absl::Status(const ::werf::operator_::v1::RepositoryEvent&)> forward);
  ~WebhookReceiver();

  const common::HostPort& address() const { return server_->address(); }
  void Stop();

 private:
  struct Answer {
    int status;
    std::string body;
  };

  WebhookReceiver(Options options, std::unique_ptr<WebhookSecrets> secrets,
                  std::function<absl::Status(const ::werf::operator_::v1::RepositoryEvent&)> forward);
  Answer Handle(const std::string& source_name, const std::string& path_token, const httplib::Request& request);

  const Options options_;
  common::Clock& clock_;
  const std::unique_ptr<WebhookSecrets> secrets_;
  const std::function<absl::Status(const ::werf::operator_::v1::RepositoryEvent&)> forward_;
  std::map<std::string, std::unique_ptr<common::TokenBucket>> limiters_;  // by source; fixed after Start
  std::unique_ptr<common::HttpServer> server_;
};

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_WEBHOOK_RECEIVER_H_
