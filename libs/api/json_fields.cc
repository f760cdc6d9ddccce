#include "libs/api/json_fields.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/duration.h"

namespace werf::api {
namespace {

using Json = nlohmann::json;

// A value for a message: JSON, at most 80 characters, never throwing on bad UTF-8.
std::string Shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 80) text = absl::StrCat(text.substr(0, 77), "...");
  return text;
}

}  // namespace

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

FieldReader::FieldReader(const Json* object, std::string path, std::vector<std::string>* problems)
    : object_(object != nullptr && object->is_object() ? object : nullptr),
      path_(std::move(path)),
      problems_(problems) {}

FieldReader FieldReader::Object(absl::string_view key) const {
  return FieldReader(Find(key, Json::value_t::object, "an object"), Path(key), problems_);
}

const Json* FieldReader::Array(absl::string_view key) const {
  return Find(key, Json::value_t::array, "an array");
}

std::string FieldReader::String(absl::string_view key) const {
  const Json* value = Find(key, Json::value_t::string, "a string");
  return value != nullptr ? value->get<std::string>() : std::string();
}

bool FieldReader::Bool(absl::string_view key) const {
  const Json* value = Find(key, Json::value_t::boolean, "a boolean");
  return value != nullptr && value->get<bool>();
}

int64_t FieldReader::Int(absl::string_view key) const {
  const Json* value = Lookup(key);
  if (value == nullptr) return 0;
  if (value->is_number_integer()) return value->get<int64_t>();
  Problem(key, absl::StrCat(Shown(*value), " is not an integer"));
  return 0;
}

uint32_t FieldReader::Count(absl::string_view key) const {
  const int64_t value = Int(key);
  if (value >= 0 && value <= std::numeric_limits<uint32_t>::max()) return static_cast<uint32_t>(value);
  Problem(key, absl::StrCat(value, " is not a count"));
  return 0;
}

std::optional<absl::Time> FieldReader::Time(absl::string_view key) const {
  const std::string text = String(key);
  if (text.empty()) return std::nullopt;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    Problem(key, absl::StrCat("\"", text, "\" is not an RFC 3339 time"));
    return std::nullopt;
  }
  return time;
}

std::optional<absl::Duration> FieldReader::Duration(absl::string_view key) const {
  const std::string text = String(key);
  if (text.empty()) return std::nullopt;
  absl::StatusOr<absl::Duration> parsed = common::ParseGoDuration(text);
  if (!parsed.ok()) {
    Problem(key, parsed.status().message());
    return std::nullopt;
  }
  return *parsed;
}

std::vector<std::string> FieldReader::Strings(absl::string_view key) const {
  std::vector<std::string> out;
  const Json* array = Array(key);
  if (array == nullptr) return out;
  for (size_t i = 0; i < array->size(); ++i) {
    if ((*array)[i].is_string()) {
      out.push_back((*array)[i].get<std::string>());
    } else {
      Problem(absl::StrCat(key, "[", i, "]"), absl::StrCat(Shown((*array)[i]), " is not a string"));
    }
  }
  return out;
}

void FieldReader::ForEachObject(absl::string_view key,
                                absl::FunctionRef<void(const FieldReader&)> visit) const {
  const Json* array = Array(key);
  if (array == nullptr) return;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string element = absl::StrCat(key, "[", i, "]");
    if (!(*array)[i].is_object()) {
      Problem(element, absl::StrCat(Shown((*array)[i]), " is not an object"));
      continue;
    }
    visit(FieldReader(&(*array)[i], Path(element), problems_));
  }
}

void FieldReader::ForEachString(
    absl::string_view key,
    absl::FunctionRef<void(const std::string&, const std::string&)> visit) const {
  const Json* members = Find(key, Json::value_t::object, "an object");
  if (members == nullptr) return;
  for (const auto& [name, value] : members->items()) {
    if (value.is_string()) {
      visit(name, value.get<std::string>());
    } else {
      problems_->push_back(absl::StrCat(Path(key), ".", name, ": ", Shown(value), " is not a string"));
    }
  }
}

void FieldReader::Problem(absl::string_view key, absl::string_view what) const {
  problems_->push_back(absl::StrCat(Path(key), ": ", what));
}

std::string FieldReader::Path(absl::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
}

const Json* FieldReader::Lookup(absl::string_view key) const {
  if (object_ == nullptr) return nullptr;
  const auto it = object_->find(std::string(key));
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* FieldReader::Find(absl::string_view key, Json::value_t type,
                              absl::string_view expected) const {
  const Json* value = Lookup(key);
  if (value == nullptr) return nullptr;
  if (value->type() == type) return value;
  Problem(key, absl::StrCat(Shown(*value), " is not ", expected));
  return nullptr;
}

}  // namespace werf::api
