#include "libs/notify/sink.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"

namespace werf::notify {
namespace {

constexpr std::array<SinkKind, 4> kSinkKinds = {SinkKind::kSlack, SinkKind::kWebhook, SinkKind::kCloudEvents,
                                                SinkKind::kGitHub};
constexpr std::array<OutcomeKind, 6> kOutcomeKinds = {OutcomeKind::kDeployed,       OutcomeKind::kFailed,
                                                      OutcomeKind::kDrifted,        OutcomeKind::kDriftCorrected,
                                                      OutcomeKind::kRecovered,      OutcomeKind::kStalled};

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

std::string KindNames() {
  return absl::StrJoin(kSinkKinds, ", ", [](std::string* out, SinkKind k) { absl::StrAppend(out, SinkKindName(k)); });
}

std::string OutcomeNames() {
  return absl::StrJoin(kOutcomeKinds, ", ",
                       [](std::string* out, OutcomeKind k) { absl::StrAppend(out, OutcomeKindName(k)); });
}

absl::StatusOr<SinkSpec> ParseSink(const nlohmann::json& item, const std::string& path) {
  if (!item.is_object()) return Invalid(path, "must be an object with name, kind and secretRef");
  SinkSpec sink;
  const auto name = item.find("name");
  if (name == item.end() || !name->is_string()) return Invalid(path + ".name", "required (a DNS label)");
  sink.name = name->get<std::string>();
  static const re2::RE2 kDnsLabel("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  if (!re2::RE2::FullMatch(sink.name, kDnsLabel)) {
    return Invalid(path + ".name", absl::StrCat("\"", sink.name, "\" is not a DNS label"));
  }
  const auto kind = item.find("kind");
  if (kind == item.end() || !kind->is_string()) return Invalid(path + ".kind", absl::StrCat("required: ", KindNames()));
  bool known = false;
  for (SinkKind candidate : kSinkKinds) {
    if (kind->get<std::string>() == SinkKindName(candidate)) {
      sink.kind = candidate;
      known = true;
    }
  }
  if (!known) {
    return Invalid(path + ".kind", absl::StrCat("\"", kind->get<std::string>(), "\" is not one of ", KindNames()));
  }
  const auto secret = item.find("secretRef");
  if (secret == item.end() || !secret->is_object() || !secret->contains("name") || !(*secret)["name"].is_string() ||
      (*secret)["name"].get<std::string>().empty()) {
    return Invalid(path + ".secretRef.name", "required: a Secret in the bundle's namespace holding the sink's url/token");
  }
  sink.secret_name = (*secret)["name"].get<std::string>();
  if (const auto events = item.find("events"); events != item.end()) {
    if (!events->is_array()) return Invalid(path + ".events", absl::StrCat("must be a list of ", OutcomeNames()));
    for (size_t i = 0; i < events->size(); ++i) {
      const nlohmann::json& event = (*events)[i];
      std::optional<OutcomeKind> parsed =
          event.is_string() ? ParseOutcomeKind(event.get<std::string>()) : std::nullopt;
      if (!parsed.has_value()) {
        return Invalid(absl::StrCat(path, ".events[", i, "]"),
                       absl::StrCat(event.dump(), " is not one of ", OutcomeNames()));
      }
      sink.events.insert(*parsed);
    }
  }
  return sink;
}

}  // namespace

absl::string_view SinkKindName(SinkKind kind) {
  switch (kind) {
    case SinkKind::kSlack: return "Slack";
    case SinkKind::kWebhook: return "Webhook";
    case SinkKind::kCloudEvents: return "CloudEvents";
    case SinkKind::kGitHub: return "GitHub";
  }
  return "";
}

absl::string_view OutcomeKindName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kDeployed: return "Deployed";
    case OutcomeKind::kFailed: return "Failed";
    case OutcomeKind::kDrifted: return "Drifted";
    case OutcomeKind::kDriftCorrected: return "DriftCorrected";
    case OutcomeKind::kRecovered: return "Recovered";
    case OutcomeKind::kStalled: return "Stalled";
  }
  return "";
}

std::optional<OutcomeKind> ParseOutcomeKind(absl::string_view name) {
  for (OutcomeKind kind : kOutcomeKinds) {
    if (name == OutcomeKindName(kind)) return kind;
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<SinkSpec>> ParseSinks(const nlohmann::json& list, absl::string_view path) {
  if (!list.is_array()) return Invalid(path, "must be a list of sinks");
  if (list.size() > kMaxSinks) return Invalid(path, absl::StrCat("at most ", kMaxSinks, " sinks"));
  std::vector<SinkSpec> sinks;
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item_path = absl::StrCat(path, "[", i, "]");
    absl::StatusOr<SinkSpec> sink = ParseSink(list[i], item_path);
    if (!sink.ok()) return sink.status();
    if (!names.insert(sink->name).second) {
      return Invalid(item_path + ".name", absl::StrCat("\"", sink->name, "\" names two sinks"));
    }
    sinks.push_back(*std::move(sink));
  }
  return sinks;
}

}  // namespace werf::notify
