#include "services/poller/webhook_receiver.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "libs/webhook/cloudevents.h"
#include "libs/webhook/distribution.h"
#include "libs/webhook/dockerhub.h"
#include "libs/webhook/generic.h"
#include "libs/webhook/github.h"
#include "libs/webhook/gitlab.h"
#include "libs/webhook/harbor.h"
#include "libs/webhook/quay.h"
#include "libs/webhook/signature.h"
#include "nlohmann/json.hpp"
#include "services/poller/metrics.h"

namespace werf::poller {
namespace {

namespace pb = ::werf::operator_::v1;

std::string Header(const httplib::Request& request, const std::string& name) {
  return request.has_header(name) ? request.get_header_value(name) : "";
}

// Whether the delivery proves it knows `secret`, the way its source signs.
bool Authentic(WebhookAuth auth, const std::string& secret, const std::string& path_token,
               const httplib::Request& request) {
  switch (auth) {
    case WebhookAuth::kHubSignature256:
      return webhook::VerifyHubSignature256(secret, request.body, Header(request, "X-Hub-Signature-256"));
    case WebhookAuth::kBearer: {
      const std::string authorization = Header(request, "Authorization");
      return absl::StartsWithIgnoreCase(authorization, "Bearer ") &&
             webhook::VerifySharedToken(secret, authorization.substr(7));
    }
    case WebhookAuth::kAuthorizationHeader:
      return webhook::VerifySharedToken(secret, Header(request, "Authorization"));
    case WebhookAuth::kGitlabToken:
      return webhook::VerifySharedToken(secret, Header(request, "X-Gitlab-Token"));
    case WebhookAuth::kPathToken:
      return webhook::VerifySharedToken(secret, path_token);
  }
  return false;
}

}  // namespace

const std::map<std::string, WebhookSource>& WebhookSources() {
  static const auto* sources = new std::map<std::string, WebhookSource>{
      {"distribution", {"distribution", WebhookAuth::kBearer, &webhook::ParseDistribution}},
      {"github", {"github", WebhookAuth::kHubSignature256, &webhook::ParseGitHub}},
      {"harbor", {"harbor", WebhookAuth::kAuthorizationHeader, &webhook::ParseHarbor}},
      {"dockerhub", {"dockerhub", WebhookAuth::kPathToken, &webhook::ParseDockerHub}},
      {"quay", {"quay", WebhookAuth::kPathToken, &webhook::ParseQuay}},
      {"gitlab", {"gitlab", WebhookAuth::kGitlabToken, &webhook::ParseGitLab}},
      {"cloudevents", {"cloudevents", WebhookAuth::kBearer, &webhook::ParseCloudEvents}},
      {"generic", {"generic", WebhookAuth::kHubSignature256, &webhook::ParseGeneric}},
  };
  return *sources;
}

absl::StatusOr<std::unique_ptr<WebhookReceiver>> WebhookReceiver::Start(
    Options options, std::unique_ptr<WebhookSecrets> secrets,
    std::function<absl::Status(const pb::RepositoryEvent&)> forward) {
  std::unique_ptr<WebhookReceiver> receiver(
      new WebhookReceiver(std::move(options), std::move(secrets), std::move(forward)));
  WebhookReceiver* self = receiver.get();
  ASSIGN_OR_RETURN(receiver->server_, common::HttpServer::Start({
      .address = self->options_.address,
      .register_routes =
          [self](httplib::Server& http) {
            // Larger bodies are refused with 413 before they are read whole.
            http.set_payload_max_length(self->options_.max_body_bytes);
            // httplib answers an oversized body itself, before any route runs; count it here.
            http.set_error_handler(httplib::Server::HandlerWithResponse(
                [](const httplib::Request& request, httplib::Response& response) {
              if (response.status != 413 || !absl::StartsWith(request.path, "/hooks/")) {
                return httplib::Server::HandlerResponse::Unhandled;
              }
              std::string source(absl::StripPrefix(request.path, "/hooks/"));
              source = source.substr(0, source.find('/'));
              PollerMetrics().WebhookDelivery(WebhookSources().contains(source) ? source : "unknown", "too_large");
              response.set_content(R"({"error":"the body is larger than the receiver accepts"})", "application/json");
              return httplib::Server::HandlerResponse::Handled;
            }));
            http.Post(R"(/hooks/([a-z]+)(?:/([^/]+))?)", [self](const httplib::Request& request,
                                                               httplib::Response& response) {
              const Answer answer = self->Handle(request.matches[1], request.matches[2], request);
              response.status = answer.status;
              response.set_content(answer.body, "application/json");
            });
          },
  }));
  common::LogInfo("webhook receiver listening", {{"address", receiver->server_->address().ToString()}});
  return receiver;
}

WebhookReceiver::WebhookReceiver(Options options, std::unique_ptr<WebhookSecrets> secrets,
                                 std::function<absl::Status(const pb::RepositoryEvent&)> forward)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()),
      secrets_(std::move(secrets)),
      forward_(std::move(forward)) {
  for (const auto& [name, source] : WebhookSources()) {
    limiters_[name] = std::make_unique<common::TokenBucket>(options_.qps, options_.burst);
  }
}

WebhookReceiver::~WebhookReceiver() { Stop(); }

void WebhookReceiver::Stop() {
  if (server_ != nullptr) server_->Stop();
}

WebhookReceiver::Answer WebhookReceiver::Handle(const std::string& source_name, const std::string& path_token,
                                                const httplib::Request& request) {
  auto source = WebhookSources().find(source_name);
  if (source == WebhookSources().end()) return {404, R"({"error":"unknown webhook source"})"};
  auto answer = [&](const std::string& result, Answer reply) {
    PollerMetrics().WebhookDelivery(source_name, result);
    common::LogDebug("webhook delivery", {{"source", source_name}, {"result", result}, {"status", absl::StrCat(reply.status)}});
    return reply;
  };
  if (!limiters_.at(source_name)->TryAcquire(clock_.Now())) {
    return answer("rate_limited", {429, R"({"error":"too many deliveries for this source; retry later"})"});
  }
  absl::StatusOr<std::optional<std::string>> secret = secrets_->Get(source_name);
  if (!secret.ok()) {
    common::LogWarning("webhook secrets unavailable", {{"error", secret.status().ToString()}});
    return answer("unavailable", {503, R"({"error":"the receiver cannot read its secrets; retry later"})"});
  }
  if (!secret->has_value()) {
    return answer("disabled", {404, R"({"error":"this webhook source is not configured"})"});
  }
  if (!Authentic(source->second.auth, **secret, path_token, request)) {
    return answer("unauthorized", {401, R"({"error":"missing or wrong signature or token"})"});
  }
  const webhook::Delivery delivery = [&] {
    webhook::Delivery d;
    for (const auto& [name, value] : request.headers) d.headers[absl::AsciiStrToLower(name)] = value;
    d.body = request.body;
    return d;
  }();
  absl::StatusOr<std::vector<webhook::RepositoryEvent>> events = source->second.parse(delivery);
  if (!events.ok()) {
    nlohmann::json error = {{"error", std::string(events.status().message())}};
    return answer("malformed", {400, error.dump()});
  }
  if (events->empty()) return answer("ignored", {202, R"({"events":0})"});
  const auto received_at = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(clock_.Now()));
  int forwarded = 0;
  for (const webhook::RepositoryEvent& event : *events) {
    pb::RepositoryEvent message;
    message.set_source(source_name);
    message.set_registry(event.registry);
    message.set_repository(event.repository);
    if (event.tag.has_value()) message.set_tag(*event.tag);
    *message.mutable_received_at() = received_at;
    if (absl::Status sent = forward_(message); !sent.ok()) {
      // The hub is away (a controller failover): polling catches up; the sender need not retry.
      common::LogWarning("cannot forward a webhook event to the hub",
                         {{"source", source_name}, {"error", sent.ToString()}});
      continue;
    }
    ++forwarded;
  }
  return answer("accepted", {202, absl::StrCat(R"({"events":)", forwarded, "}")});
}

}  // namespace werf::poller
