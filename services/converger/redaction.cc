#include "services/converger/redaction.h"

#include "absl/strings/str_cat.h"

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

void WithholdPodOutput(::werf::operator_::v1::JobObservation& observation, absl::string_view reason) {
  observation.clear_log_tail();
  auto* report = observation.mutable_deploy_report();
  report->clear_raw_json();
  report->clear_failed_operation_names();
  const std::string withheld = absl::StrCat(
      "the log and report text are withheld: the Job's Secret, which says what to redact, cannot be read (",
      reason, "); see the pod's log");
  observation.set_message(observation.message().empty() ? withheld
                                                         : absl::StrCat(observation.message(), "; ", withheld));
}

bool JobMountsSecret(const nlohmann::json& job, absl::string_view secret_name) {
  const nlohmann::json* volumes = nullptr;
  if (const auto spec = job.find("spec"); spec != job.end() && spec->is_object()) {
    if (const auto tmpl = spec->find("template"); tmpl != spec->end() && tmpl->is_object()) {
      if (const auto pod = tmpl->find("spec"); pod != tmpl->end() && pod->is_object()) {
        if (const auto v = pod->find("volumes"); v != pod->end() && v->is_array()) volumes = &*v;
      }
    }
  }
  if (volumes == nullptr) return false;
  for (const nlohmann::json& volume : *volumes) {
    const auto secret = volume.find("secret");
    if (secret != volume.end() && secret->is_object() && secret->value("secretName", "") == secret_name) return true;
  }
  return false;
}

}  // namespace werf::converger
