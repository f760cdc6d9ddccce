#include "libs/notify/payloads.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/api/json_fields.h"
#include "libs/common/utf8.h"
#include "libs/webhook/signature.h"
#include "re2/re2.h"

namespace werf::notify {
namespace {

using Json = nlohmann::json;

constexpr char kRevisionAnnotation[] = "org.opencontainers.image.revision";
constexpr char kSourceAnnotation[] = "org.opencontainers.image.source";

std::string Headline(const Message& m) {
  const std::string bundle = absl::StrCat(m.bundle.ns, "/", m.bundle.name);
  const std::string tag = m.outcome.tag.empty() ? "" : absl::StrCat(" ", m.outcome.tag);
  switch (m.kind) {
    case OutcomeKind::kDeployed: return absl::StrCat(bundle, tag, " deployed");
    case OutcomeKind::kFailed: return absl::StrCat(bundle, tag, " failed to deploy");
    case OutcomeKind::kDrifted: return absl::StrCat(bundle, " drifted from", tag);
    case OutcomeKind::kDriftCorrected: return absl::StrCat(bundle, tag, " drift corrected");
    case OutcomeKind::kRecovered: return absl::StrCat(bundle, tag, " recovered");
    case OutcomeKind::kStalled: return absl::StrCat(bundle, " stalled");
  }
  return bundle;
}

bool IsBad(OutcomeKind kind) {
  return kind == OutcomeKind::kFailed || kind == OutcomeKind::kDrifted || kind == OutcomeKind::kStalled;
}

Json MarkdownField(absl::string_view title, absl::string_view value) {
  return {{"type", "mrkdwn"}, {"text", absl::StrCat("*", title, "*\n", value)}};
}

// Slack renders ``` blocks verbatim but ends one at the first ``` inside.
std::string CodeBlock(absl::string_view text) {
  std::string safe(text);
  for (size_t at = safe.find("```"); at != std::string::npos; at = safe.find("```", at)) safe.replace(at, 3, "'''");
  return absl::StrCat("```", safe, "```");
}

}  // namespace

Json SlackMessage(const Message& m) {
  const std::string full_headline = Headline(m);
  const std::string headline(common::Utf8Prefix(full_headline, 150));
  const std::string icon = IsBad(m.kind) ? ":x:" : ":white_check_mark:";
  Json fields = Json::array({MarkdownField("Bundle", absl::StrCat(m.bundle.ns, "/", m.bundle.name)),
                             MarkdownField("Outcome", OutcomeKindName(m.kind))});
  if (!m.outcome.tag.empty()) fields.push_back(MarkdownField("Tag", m.outcome.tag));
  if (!m.outcome.digest.empty()) fields.push_back(MarkdownField("Digest", m.outcome.digest.substr(0, 19)));
  if (m.outcome.revision > 0) fields.push_back(MarkdownField("Revision", absl::StrCat(m.outcome.revision)));
  if (!m.outcome.job_name.empty()) fields.push_back(MarkdownField("Job", m.outcome.job_name));
  Json blocks = Json::array({
      {{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", headline}, {"emoji", true}}}},
      {{"type", "section"}, {"fields", std::move(fields)}},
  });
  if (!m.outcome.message.empty()) {
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", std::string(common::Utf8Prefix(m.outcome.message, 2900))}}}});
  }
  if (!m.outcome.failed_operation_names.empty()) {
    const std::string operations =
        absl::StrCat("*Failed operations*\n• ", absl::StrJoin(m.outcome.failed_operation_names, "\n• "));
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", std::string(common::Utf8Prefix(operations, 2900))}}}});
  }
  if (!m.outcome.log_tail.empty()) {
    blocks.push_back({{"type", "section"},
                      {"text",
                       {{"type", "mrkdwn"},
                        {"text", CodeBlock(common::Utf8Suffix(m.outcome.log_tail, kSlackLogExcerptBytes))}}}});
  }
  blocks.push_back({{"type", "context"},
                    {"elements", Json::array({{{"type", "mrkdwn"},
                                               {"text", absl::StrCat("werf-operator · ", api::Rfc3339(m.outcome.time))}}})}});
  return {{"text", absl::StrCat(icon, " ", headline)}, {"blocks", std::move(blocks)}};
}

Json GenericWebhookBody(const Message& m) {
  Json body = {{"apiVersion", "werf.io/v1alpha1"},
               {"kind", "BundleOutcome"},
               {"id", m.outcome.id},
               {"event", std::string(OutcomeKindName(m.kind))},
               {"time", api::Rfc3339(m.outcome.time)},
               {"bundle", {{"namespace", m.bundle.ns}, {"name", m.bundle.name}, {"uid", m.bundle.uid}}}};
  const auto put = [&body](const char* key, const std::string& value) {
    if (!value.empty()) body[key] = value;
  };
  put("tag", m.outcome.tag);
  put("digest", m.outcome.digest);
  put("job", m.outcome.job_name);
  put("message", m.outcome.message);
  if (m.outcome.revision > 0) body["revision"] = m.outcome.revision;
  put("reportStatus", m.outcome.report_status);
  if (!m.outcome.report_status.empty()) {
    body["completedOperations"] = m.outcome.completed_operations;
    body["failedOperations"] = m.outcome.failed_operations;
  }
  if (!m.outcome.failed_operation_names.empty()) body["failedOperationNames"] = m.outcome.failed_operation_names;
  put("logTail", m.outcome.log_tail);
  return body;
}

std::string GenericWebhookSignature(const std::string& signing_key, const std::string& body) {
  return absl::StrCat("sha256=", webhook::HmacSha256Hex(signing_key, body));
}

std::string CloudEventType(OutcomeKind kind) {
  return absl::StrCat("io.werf.operator.bundle.", absl::AsciiStrToLower(OutcomeKindName(kind)));
}

Json CloudEvent(const Message& m) {
  return {{"specversion", "1.0"},
          // Unique per source: the outcome id names one Job or one condition transition of this bundle.
          {"id", absl::StrCat(m.bundle.uid, "/", m.outcome.id)},
          {"source", absl::StrCat("/apis/werf.io/v1alpha1/namespaces/", m.bundle.ns, "/werfbundles/", m.bundle.name)},
          {"type", CloudEventType(m.kind)},
          {"subject", m.outcome.tag.empty() ? m.bundle.name : m.outcome.tag},
          {"time", api::Rfc3339(m.outcome.time)},
          {"datacontenttype", "application/json"},
          {"data", GenericWebhookBody(m)}};
}

absl::StatusOr<GitHubStatusRequest> GitHubCommitStatus(const Message& m,
                                                       const std::map<std::string, std::string>& annotations) {
  const auto revision = annotations.find(kRevisionAnnotation);
  static const re2::RE2 kSha("[0-9a-fA-F]{7,64}");
  if (revision == annotations.end() || !re2::RE2::FullMatch(revision->second, kSha)) {
    return absl::FailedPreconditionError(absl::StrCat("the bundle manifest has no commit SHA in its ",
                                                      kRevisionAnnotation, " annotation"));
  }
  const auto source = annotations.find(kSourceAnnotation);
  std::string owner, repo;
  static const re2::RE2 kGitHubSource(R"((?:https?://|git@)github\.com[/:]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?)");
  if (source == annotations.end() || !re2::RE2::FullMatch(source->second, kGitHubSource, &owner, &repo)) {
    return absl::FailedPreconditionError(absl::StrCat("the bundle manifest's ", kSourceAnnotation,
                                                      " annotation names no github.com repository"));
  }
  std::string state = "success";
  if (m.kind == OutcomeKind::kFailed) state = "failure";
  if (m.kind == OutcomeKind::kDrifted || m.kind == OutcomeKind::kStalled) state = "error";
  std::string description = Headline(m);
  if (!m.outcome.message.empty()) absl::StrAppend(&description, ": ", m.outcome.message);
  return GitHubStatusRequest{
      .path = absl::StrCat("/repos/", owner, "/", repo, "/statuses/", absl::AsciiStrToLower(revision->second)),
      // GitHub cuts description at 140 characters; context names the bundle so each has its own status line.
      .body = {{"state", state},
               {"description", std::string(common::Utf8Prefix(description, 140))},
               {"context", absl::StrCat("werf-operator/", m.bundle.ns, "/", m.bundle.name)}}};
}

}  // namespace werf::notify
