// What each sink kind is sent for one outcome. Pure functions: the shapes are
// checked in payloads_test.cc against the receivers' documented formats.
//
// - Slack incoming webhook: a Block Kit message (header, fields, failed operations,
//   log tail excerpt) with `text` as the notification fallback
//   (https://api.slack.com/reference/block-kit/blocks).
// - Generic webhook: the JSON body below, signed with HMAC-SHA256 when the sink's
//   Secret has a signingKey ("X-Werf-Signature-256: sha256=<hex>", as GitHub signs
//   its webhooks), its outcome id in X-Werf-Delivery for receivers that dedup.
// - CloudEvents 1.0, structured mode (application/cloudevents+json), type
//   io.werf.operator.bundle.<kind>, the generic body as data.
// - GitHub commit status (POST /repos/{owner}/{repo}/statuses/{sha}) for the revision
//   and repository in the bundle manifest's org.opencontainers.image.revision and
//   .source annotations.
#ifndef WERF_OPERATOR_LIBS_NOTIFY_PAYLOADS_H_
#define WERF_OPERATOR_LIBS_NOTIFY_PAYLOADS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "libs/notify/outcome.h"

namespace werf::notify {

// One outcome as one sink receives it.
struct Message {
  BundleRef bundle{};
  Outcome outcome{};
  OutcomeKind kind = OutcomeKind::kDeployed;
};

// Slack's limits: header text 150 characters, section text 3000.
inline constexpr size_t kSlackLogExcerptBytes = 1500;

nlohmann::json SlackMessage(const Message& message);

// {"apiVersion": "werf.io/v1alpha1", "kind": "BundleOutcome", "id", "event", "time",
//  "bundle": {namespace, name, uid}, "tag", "digest", "job", "message", "revision",
//  "reportStatus", "completedOperations", "failedOperations", "failedOperationNames",
//  "logTail"}; absent fields are omitted.
nlohmann::json GenericWebhookBody(const Message& message);
// "sha256=" + lower-case hex HMAC-SHA256(key, body).
std::string GenericWebhookSignature(const std::string& signing_key, const std::string& body);

// "io.werf.operator.bundle.deployed", ".failed", ".drifted", ".driftcorrected", ...
std::string CloudEventType(OutcomeKind kind);
nlohmann::json CloudEvent(const Message& message);

struct GitHubStatusRequest {
  std::string path{};  // /repos/{owner}/{repo}/statuses/{sha}
  nlohmann::json body{};
};
// FailedPrecondition (the reason the status is skipped) when the manifest has no
// revision annotation or no GitHub source annotation.
absl::StatusOr<GitHubStatusRequest> GitHubCommitStatus(const Message& message,
                                                       const std::map<std::string, std::string>& annotations);

}  // namespace werf::notify

#endif  // WERF_OPERATOR_LIBS_NOTIFY_PAYLOADS_H_
