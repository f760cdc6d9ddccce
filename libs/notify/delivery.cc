#include "libs/notify/delivery.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "libs/common/utf8.h"
#include "libs/oci/rate_limit.h"
#include "libs/oci/transport_errors.h"

namespace werf::notify {
namespace {

struct PreparedRequest {
  http::HttpRequest request;
  std::string skipped;  // non-empty: nothing to send, and why
};

void AddJson(http::HttpRequest& request, const nlohmann::json& body, const char* content_type) {
  request.body = body.dump();
  request.headers.emplace_back("Content-Type", content_type);
}

PreparedRequest Prepare(const SinkSpec& sink, const SinkSecret& secret, const Message& message,
                        const std::map<std::string, std::string>* annotations) {
  PreparedRequest prepared;
  http::HttpRequest& request = prepared.request;
  request.method = "POST";
  request.url = secret.url;
  request.headers.emplace_back("User-Agent", "werf-operator");
  switch (sink.kind) {
    case SinkKind::kSlack:
      AddJson(request, SlackMessage(message), "application/json");
      break;
    case SinkKind::kWebhook:
      AddJson(request, GenericWebhookBody(message), "application/json");
      request.headers.emplace_back("X-Werf-Event", std::string(OutcomeKindName(message.kind)));
      request.headers.emplace_back("X-Werf-Delivery", message.outcome.id);
      if (!secret.signing_key.empty()) {
        request.headers.emplace_back("X-Werf-Signature-256", GenericWebhookSignature(secret.signing_key, request.body));
      }
      break;
    case SinkKind::kCloudEvents:
      AddJson(request, CloudEvent(message), "application/cloudevents+json; charset=UTF-8");
      break;
    case SinkKind::kGitHub: {
      if (annotations == nullptr) {
        prepared.skipped = "the bundle manifest's annotations could not be read";
        return prepared;
      }
      absl::StatusOr<GitHubStatusRequest> status = GitHubCommitStatus(message, *annotations);
      if (!status.ok()) {
        prepared.skipped = std::string(status.status().message());
        return prepared;
      }
      const std::string base(absl::StripSuffix(secret.url.empty() ? kGitHubApi : secret.url, "/"));
      request.url = absl::StrCat(base, status->path);
      AddJson(request, status->body, "application/json");
      request.headers.emplace_back("Accept", "application/vnd.github+json");
      request.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
      break;
    }
  }
  if (!secret.token.empty()) request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", secret.token));
  return prepared;
}

}  // namespace

std::string MissingSecretKey(SinkKind kind, const SinkSecret& secret) {
  if (kind == SinkKind::kGitHub) return secret.token.empty() ? "token" : "";
  return secret.url.empty() ? "url" : "";
}

std::string Redact(std::string text, const SinkSecret& secret) {
  for (const std::string* value : {&secret.url, &secret.token, &secret.signing_key}) {
    if (!value->empty()) text = absl::StrReplaceAll(text, {{*value, "[redacted]"}});
  }
  return text;
}

DeliveryResult Deliver(http::HttpClient& transport, const SinkSpec& sink, const SinkSecret& secret,
                       const Message& message, const std::map<std::string, std::string>* annotations,
                       absl::Time now, const DeliveryOptions& options) {
  PreparedRequest prepared = Prepare(sink, secret, message, annotations);
  DeliveryResult result;
  if (!prepared.skipped.empty()) {
    result.kind = DeliveryResult::Kind::kSkipped;
    result.summary = absl::StrCat("skipped: ", prepared.skipped);
    return result;
  }
  prepared.request.connect_timeout = options.connect_timeout;
  prepared.request.timeout = options.timeout;
  prepared.request.max_body_bytes = 4096;
  absl::StatusOr<http::HttpResponse> response = transport.Send(prepared.request);
  if (!response.ok()) {
    result.kind = DeliveryResult::Kind::kFailed;
    const absl::Status error = oci::FromTransportError(response.status(), prepared.request);
    result.summary = Redact(absl::StrCat("no answer: ", error.message()), secret);
    return result;
  }
  result.http_status = response->status;
  if (response->status >= 200 && response->status < 300) {
    result.kind = DeliveryResult::Kind::kDelivered;
    result.summary = absl::StrCat("HTTP ", response->status);
    return result;
  }
  result.kind = DeliveryResult::Kind::kFailed;
  if (std::optional<std::string> retry_after = response->headers.Get("retry-after")) {
    result.retry_at = oci::ParseRetryAfter(*retry_after, now);
  }
  std::string answer(absl::StripAsciiWhitespace(common::Utf8Prefix(response->body, options.answer_excerpt_bytes)));
  result.summary = Redact(absl::StrCat("HTTP ", response->status, answer.empty() ? "" : ": ", answer), secret);
  return result;
}

}  // namespace werf::notify
