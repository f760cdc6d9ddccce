#include "services/converger/redaction.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "yaml-cpp/yaml.h"

namespace werf::converger {
namespace {

void Add(std::string value, std::set<std::string>& out) {
  value = std::string(absl::StripAsciiWhitespace(value));
  if (value.size() >= kMinSecretLength) out.insert(std::move(value));
}

void CollectYaml(const YAML::Node& node, std::set<std::string>& out) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      Add(node.Scalar(), out);
      break;
    case YAML::NodeType::Sequence:
      for (const YAML::Node& item : node) CollectYaml(item, out);
      break;
    case YAML::NodeType::Map:
      for (const auto& entry : node) CollectYaml(entry.second, out);
      break;
    default:
      break;
  }
}

// nelm (werf's deploy engine) soft-wraps long log lines even when its output is not a
// terminal: it ends the cut line with " \u21b5" and goes on in the next one. A secret it
// prints may be cut like that anywhere, so a plain search misses it.
constexpr char kWrapMarkText[] = "\u21b5\n";
const absl::string_view kWrapMark(kWrapMarkText);

// The length of the soft wrap at text[at] (spaces, the mark, spaces), or 0 when none starts there.
size_t WrapAt(absl::string_view text, size_t at) {
  size_t i = at;
  while (i < text.size() && text[i] == ' ') ++i;
  if (text.substr(i, kWrapMark.size()) != kWrapMark) return 0;
  i += kWrapMark.size();
  while (i < text.size() && text[i] == ' ') ++i;
  return i - at;
}

// The end of a match of `secret` in `text` from `start` that crosses soft wraps (a wrap may sit
// between any two characters, or stand for a space of the secret), or npos.
size_t MatchAcrossWraps(absl::string_view text, size_t start, absl::string_view secret) {
  size_t t = start;
  for (size_t s = 0; s < secret.size();) {
    if (s > 0) {
      if (const size_t wrap = WrapAt(text, t); wrap > 0) {
        t += wrap;
        if (secret[s] == ' ') ++s;  // the wrap replaced this space
        continue;
      }
    }
    if (t >= text.size() || text[t] != secret[s]) return absl::string_view::npos;
    ++t;
    ++s;
  }
  return t;
}

std::string RedactAcrossWraps(const std::string& text, absl::string_view secret) {
  if (text.find(kWrapMarkText) == std::string::npos || secret.empty()) return text;
  std::string out;
  size_t copied = 0;
  for (size_t at = text.find(secret[0]); at != std::string::npos; at = text.find(secret[0], at)) {
    const size_t end = MatchAcrossWraps(text, at, secret);
    if (end == absl::string_view::npos) {
      ++at;
      continue;
    }
    out.append(text, copied, at - copied);
    out.append(kRedacted);
    // A wrap inside the match stays a line break, so the log keeps its shape.
    if (text.substr(at, end - at).find('\n') != std::string::npos) out.append(" \u21b5\n");
    copied = at = end;
  }
  out.append(text, copied, std::string::npos);
  return out;
}

}  // namespace

std::vector<std::string> SecretStrings(absl::string_view file_content) {
  std::set<std::string> plain;
  Add(std::string(file_content), plain);
  try {
    // YAML is a superset of JSON: docker config.json parses here too.
    for (const YAML::Node& document : YAML::LoadAll(std::string(file_content))) CollectYaml(document, plain);
  } catch (const YAML::Exception&) {
    // Not YAML: the whole content (and each line) is all there is to hide.
    for (absl::string_view line : absl::StrSplit(file_content, '\n')) Add(std::string(line), plain);
  }
  // A docker config's "auth" is base64("user:password"): werf may print either part.
  for (const std::string& value : std::vector<std::string>(plain.begin(), plain.end())) {
    std::string decoded;
    if (!absl::Base64Unescape(value, &decoded) || decoded.find(':') == std::string::npos) continue;
    if (std::any_of(decoded.begin(), decoded.end(), [](unsigned char c) { return c < 0x20 || c >= 0x7f; })) continue;
    Add(decoded, plain);
    const std::pair<std::string, std::string> parts = absl::StrSplit(decoded, absl::MaxSplits(':', 1));
    Add(parts.second, plain);
  }
  std::set<std::string> out = plain;
  for (const std::string& value : plain) out.insert(absl::Base64Escape(value));
  return {out.begin(), out.end()};
}

std::vector<std::string> SecretStringsOfJobSecret(const nlohmann::json& job_secret) {
  std::set<std::string> out;
  const nlohmann::json annotations =
      job_secret.value("metadata", nlohmann::json::object()).value("annotations", nlohmann::json::object());
  const nlohmann::json data = job_secret.value("data", nlohmann::json::object());
  for (absl::string_view key : absl::StrSplit(annotations.value(kSecretKeysAnnotation, ""), ',', absl::SkipEmpty())) {
    const auto value = data.find(std::string(key));
    if (value == data.end() || !value->is_string()) continue;
    std::string decoded;
    if (!absl::Base64Unescape(value->get<std::string>(), &decoded)) continue;
    for (std::string& secret : SecretStrings(decoded)) out.insert(std::move(secret));
  }
  return {out.begin(), out.end()};
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  std::vector<const std::string*> ordered;
  for (const std::string& secret : secrets) {
    if (!secret.empty()) ordered.push_back(&secret);
  }
  std::sort(ordered.begin(), ordered.end(), [](const std::string* a, const std::string* b) {
    return a->size() > b->size();
  });
  for (const std::string* secret : ordered) absl::StrReplaceAll({{*secret, kRedacted}}, &text);
  // Then what nelm's soft wraps cut (see kWrapMark).
  for (const std::string* secret : ordered) text = RedactAcrossWraps(text, *secret);
  return text;
}

void RedactObservation(::werf::operator_::v1::JobObservation& observation, const std::vector<std::string>& secrets) {
  if (secrets.empty()) return;
  observation.set_log_tail(Redact(observation.log_tail(), secrets));
  observation.set_message(Redact(observation.message(), secrets));
  auto* report = observation.mutable_deploy_report();
  report->set_raw_json(Redact(report->raw_json(), secrets));
  for (std::string& name : *report->mutable_failed_operation_names()) name = Redact(name, secrets);
}

}  // namespace werf::converger
