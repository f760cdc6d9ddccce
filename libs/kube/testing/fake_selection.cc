#include "libs/kube/testing/fake_selection.h"

#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace werf::kube::testing {
namespace {

using nlohmann::json;
using Requirement = Selection::Requirement;

absl::StatusOr<std::vector<Requirement>> ParseFieldSelector(absl::string_view selector) {
  std::vector<Requirement> requirements;
  if (absl::StrContains(selector, "(")) {
    return absl::UnimplementedError(
        absl::StrCat("the fake API server takes equality-based field selectors only: ", selector));
  }
  for (absl::string_view term : absl::StrSplit(selector, ',', absl::SkipWhitespace())) {
    term = absl::StripAsciiWhitespace(term);
    Requirement requirement;
    if (const size_t at = term.find("!="); at != absl::string_view::npos) {
      requirement = {std::string(absl::StripAsciiWhitespace(term.substr(0, at))), Requirement::Op::kNotEquals,
                     std::string(absl::StripAsciiWhitespace(term.substr(at + 2)))};
    } else if (const size_t eq = term.find('='); eq != absl::string_view::npos) {
      absl::string_view value = term.substr(eq + 1);
      absl::ConsumePrefix(&value, "=");
      requirement = {std::string(absl::StripAsciiWhitespace(term.substr(0, eq))), Requirement::Op::kEquals,
                     std::string(absl::StripAsciiWhitespace(value))};
    } else if (absl::ConsumePrefix(&term, "!")) {
      requirement = {std::string(absl::StripAsciiWhitespace(term)), Requirement::Op::kNotExists, ""};
    } else {
      requirement = {std::string(term), Requirement::Op::kExists, ""};
    }
    if (requirement.key.empty() || absl::StrContains(requirement.key, ' ')) {
      return absl::InvalidArgumentError(absl::StrCat("cannot parse the field selector \"", selector, "\""));
    }
    requirements.push_back(std::move(requirement));
  }
  return requirements;
}

bool Matches(const std::vector<Requirement>& requirements,
             const std::function<std::optional<std::string>(const std::string& key)>& lookup) {
  for (const Requirement& requirement : requirements) {
    const std::optional<std::string> value = lookup(requirement.key);
    switch (requirement.op) {
      case Requirement::Op::kEquals:
        if (value != requirement.value) return false;
        break;
      case Requirement::Op::kNotEquals:
        if (value == requirement.value) return false;
        break;
      case Requirement::Op::kExists:
        if (!value) return false;
        break;
      case Requirement::Op::kNotExists:
        if (value) return false;
        break;
    }
  }
  return true;
}

// A string field of metadata, or nullopt.
std::optional<std::string> Metadata(const json& object, const std::string& field) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return std::nullopt;
  const auto value = metadata->find(field);
  if (value == metadata->end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

}  // namespace

absl::StatusOr<Selection> Selection::Create(absl::string_view label_selector, absl::string_view field_selector) {
  absl::StatusOr<LabelSelector> labels = LabelSelector::Parse(label_selector);
  if (!labels.ok()) return labels.status();
  absl::StatusOr<std::vector<Requirement>> fields = ParseFieldSelector(field_selector);
  if (!fields.ok()) return fields.status();
  for (const Requirement& field : *fields) {
    if (field.key != "metadata.name" && field.key != "metadata.namespace" && field.key != "type") {
      return absl::UnimplementedError(absl::StrCat(
          "the fake API server selects fields metadata.name, metadata.namespace and type only, not ", field.key));
    }
  }
  Selection selection;
  selection.labels_ = *std::move(labels);
  selection.fields_ = *std::move(fields);
  return selection;
}

bool Selection::Selects(const json& object) const {
  const bool fields = Matches(fields_, [&](const std::string& key) -> std::optional<std::string> {
    if (key == "type") {
      const auto type = object.find("type");
      if (type == object.end() || !type->is_string()) return std::nullopt;
      return type->get<std::string>();
    }
    return Metadata(object, key == "metadata.name" ? "name" : "namespace");
  });
  if (!fields) return false;
  const auto metadata = object.find("metadata");
  const json* labels = nullptr;
  if (metadata != object.end() && metadata->is_object()) {
    if (const auto found = metadata->find("labels"); found != metadata->end() && found->is_object()) {
      labels = &*found;
    }
  }
  return labels_.Matches([labels](absl::string_view key) -> std::optional<absl::string_view> {
    if (labels == nullptr) return std::nullopt;
    const auto value = labels->find(std::string(key));
    if (value == labels->end() || !value->is_string()) return std::nullopt;
    return absl::string_view(value->get_ref<const std::string&>());
  });
}

}  // namespace werf::kube::testing
