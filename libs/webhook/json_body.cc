#include "libs/webhook/json_body.h"

#include <cstddef>
#include <exception>

#include "absl/strings/str_cat.h"

namespace werf::webhook {
namespace {

// Nesting depth of `body` outside strings; stops counting once past the limit.
// Malformed input is left for the parser to report.
bool NestsTooDeep(absl::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

absl::Status WrongType(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " must be ", what));
}

absl::StatusOr<nlohmann::json> ParseJsonBody(absl::string_view body) {
  if (body.empty()) return absl::InvalidArgumentError("body is empty; expected a JSON object");
  if (NestsTooDeep(body)) {
    return absl::InvalidArgumentError(absl::StrCat("body nests deeper than ", kMaxJsonDepth, " levels"));
  }
  try {
    return nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() quotes the input near the error; only the offset goes out.
    return absl::InvalidArgumentError(absl::StrCat("body is not valid JSON (syntax error at byte ", e.byte, ")"));
  } catch (const std::exception&) {
    return absl::InvalidArgumentError("body is not valid JSON");
  }
}

const nlohmann::json* Member(const nlohmann::json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& object, absl::string_view key,
                                                          absl::string_view field) {
  const nlohmann::json* value = Member(object, key);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return WrongType(field, "a string");
  return std::optional<std::string>(value->get_ref<const std::string&>());
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& object, absl::string_view key,
                                           absl::string_view field) {
  absl::StatusOr<std::optional<std::string>> value = OptionalString(object, key, field);
  if (!value.ok()) return value.status();
  if (!value->has_value() || (*value)->empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is missing"));
  return std::move(**value);
}

absl::StatusOr<const nlohmann::json*> OptionalObject(const nlohmann::json& object, absl::string_view key,
                                                     absl::string_view field) {
  const nlohmann::json* value = Member(object, key);
  if (value != nullptr && !value->is_object()) return WrongType(field, "an object");
  return value;
}

}  // namespace werf::webhook
