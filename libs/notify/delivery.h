// Sends one message to one sink over HTTP and classifies the answer: delivered,
// skipped (nothing to send, with the reason) or failed (retry later, honouring
// Retry-After on 429 and 503). Secret material (the sink's URL, token and signing
// key) never appears in a result: Slack's and most webhooks' URLs are themselves
// credentials.
#ifndef WERF_OPERATOR_LIBS_NOTIFY_DELIVERY_H_
#define WERF_OPERATOR_LIBS_NOTIFY_DELIVERY_H_

#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "libs/http/http_client.h"
#include "libs/notify/payloads.h"
#include "libs/notify/sink.h"

namespace werf::notify {

// The sink's Secret, decoded.
struct SinkSecret {
  std::string url{};          // key "url"
  std::string token{};        // key "token"
  std::string signing_key{};  // key "signingKey"
};

inline constexpr char kGitHubApi[] = "https://api.github.com";

// What a sink needs from its Secret; "" when `secret` has it. Names keys, never values.
std::string MissingSecretKey(SinkKind kind, const SinkSecret& secret);

struct DeliveryResult {
  enum class Kind { kDelivered, kSkipped, kFailed };
  Kind kind = Kind::kFailed;
  int http_status = 0;  // 0: no answer
  // For kFailed: the receiver's wait (Retry-After), if it asked for one.
  std::optional<absl::Time> retry_at{};
  // "HTTP 200", "skipped: <why>", "HTTP 503: <start of the answer>", "no answer: <why>".
  std::string summary{};
};

struct DeliveryOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(10);
  // The receiver's answer kept in a failure summary.
  size_t answer_excerpt_bytes = 200;
};

// `annotations`: the bundle manifest's annotations (GitHub sinks only; null when
// unknown, which skips the status with the reason `annotations_error`).
DeliveryResult Deliver(http::HttpClient& transport, const SinkSpec& sink, const SinkSecret& secret,
                       const Message& message, const std::map<std::string, std::string>* annotations,
                       absl::Time now, const DeliveryOptions& options = {});

// Replaces every occurrence of each non-empty secret value in `text` with "[redacted]".
std::string Redact(std::string text, const SinkSecret& secret);

}  // namespace werf::notify

#endif  // WERF_OPERATOR_LIBS_NOTIFY_DELIVERY_H_
