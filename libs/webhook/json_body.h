// JSON access for the webhook parsers, without exceptions escaping: a body is
// parsed once, and every field is read through these helpers, which turn a
// missing or wrongly typed field into InvalidArgument naming the field. Parsers
// must never throw; nlohmann's checked accessors (`at`, `get<T>`) would, so they
// are not used anywhere in libs/webhook.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_JSON_BODY_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_JSON_BODY_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace werf::webhook {

// Deeper nesting than any vendor sends (GitHub's package payloads reach 7); bounds
// the parser's and the destructor's work on hostile input.
inline constexpr int kMaxJsonDepth = 64;

// Parses `body` as JSON. Errors say where parsing stopped, never what the body holds.
absl::StatusOr<nlohmann::json> ParseJsonBody(absl::string_view body);

// `object[key]`, or nullptr when `object` is not an object, lacks `key`, or holds null
// there (vendors send null for "not set", e.g. GitHub's description).
const nlohmann::json* Member(const nlohmann::json& object, absl::string_view key);

// The string at `object[key]`; nullopt when absent or null; InvalidArgument naming
// `field` (a path such as "target.tag") when it is another type.
absl::StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& object, absl::string_view key,
                                                          absl::string_view field);

// As OptionalString, but absence and the empty string are errors too.
absl::StatusOr<std::string> RequiredString(const nlohmann::json& object, absl::string_view key,
                                           absl::string_view field);

// `object[key]` when it is an object; nullptr when absent or null; InvalidArgument
// when it is another type.
absl::StatusOr<const nlohmann::json*> OptionalObject(const nlohmann::json& object, absl::string_view key,
                                                     absl::string_view field);

// InvalidArgument "<field> must be <what>".
absl::Status WrongType(absl::string_view field, absl::string_view what);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_JSON_BODY_H_
