#include "libs/webhook/cloudevents.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/webhook/json_body.h"
#include "libs/webhook/payload_shapes.h"

namespace werf::webhook {
namespace {

constexpr absl::string_view kStructured = "application/cloudevents+json";
constexpr absl::string_view kBatched = "application/cloudevents-batch+json";

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(absl::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  if (semicolon != absl::string_view::npos) content_type = content_type.substr(0, semicolon);
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(content_type));
}

std::string Header(const Delivery& delivery, const std::string& name) {
  const auto it = delivery.headers.find(name);
  return it == delivery.headers.end() ? std::string() : it->second;
}

// Absent datacontenttype means JSON in the JSON event format.
bool IsJsonMediaType(absl::string_view media_type) {
  return media_type.empty() || media_type == "application/json" || media_type == "text/json" ||
         absl::EndsWith(media_type, "+json");
}

absl::Status WithContext(absl::string_view context, absl::Status status) {
  if (status.ok()) return status;
  return absl::InvalidArgumentError(absl::StrCat(context, status.message()));
}

absl::Status AppendShape(absl::string_view type, const nlohmann::json& data, EventList& events) {
  if (absl::StartsWith(type, "harbor.")) {
    if (type != "harbor.artifact.pushed") return absl::OkStatus();
    return AppendHarborEventData(data, events);
  }
  if (!data.is_object()) return absl::OkStatus();
  if (IsEventBridgeEvent(data)) return AppendEcrEventBridgeEvent(data, events);
  if (const nlohmann::json* list = Member(data, "events"); list != nullptr) {
    bool distribution = false;
    if (list->is_array()) {
      for (const nlohmann::json& item : *list) distribution = distribution || Member(item, "target") != nullptr;
    }
    return distribution ? AppendDistributionEvents(data, events) : AppendGenericEvents(data, events);
  }
  if (Member(data, "registry") != nullptr || Member(data, "repository") != nullptr) {
    return AppendGenericEvents(data, events);
  }
  return absl::OkStatus();
}

// The data of a CloudEvent of `type`, given as JSON text (binary mode, data_base64).
absl::Status AppendDataText(absl::string_view type, absl::string_view media_type, absl::string_view text,
                            absl::string_view context, EventList& events) {
  if (text.empty() || !IsJsonMediaType(media_type)) return absl::OkStatus();
  absl::StatusOr<nlohmann::json> data = ParseJsonBody(text);
  if (!data.ok()) return WithContext(context, data.status());
  return WithContext(context, AppendShape(type, *data, events));
}

// One event in the JSON event format; `where` prefixes messages in a batch.
absl::Status AppendStructured(const nlohmann::json& event, const std::string& where, EventList& events) {
  if (!event.is_object()) return WrongType(absl::StrCat(where, "the CloudEvent"), "a JSON object");
  auto attribute = [&](absl::string_view name) { return absl::StrCat(where, "CloudEvent attribute ", name); };
  ASSIGN_OR_RETURN(std::string specversion, RequiredString(event, "specversion", attribute("specversion")));
  if (specversion != "1.0") {
    return absl::InvalidArgumentError(absl::StrCat(attribute("specversion"), " must be \"1.0\""));
  }
  RETURN_IF_ERROR(RequiredString(event, "id", attribute("id")).status());
  RETURN_IF_ERROR(RequiredString(event, "source", attribute("source")).status());
  ASSIGN_OR_RETURN(std::string type, RequiredString(event, "type", attribute("type")));
  ASSIGN_OR_RETURN(std::optional<std::string> content_type,
                   OptionalString(event, "datacontenttype", attribute("datacontenttype")));
  const std::string media_type = MediaType(content_type.value_or(""));
  const std::string context = absl::StrCat(where, "data: ");

  ASSIGN_OR_RETURN(std::optional<std::string> data_base64, OptionalString(event, "data_base64", attribute("data_base64")));
  if (data_base64.has_value()) {
    std::string decoded;
    if (!absl::Base64Unescape(*data_base64, &decoded)) {
      return absl::InvalidArgumentError(absl::StrCat(attribute("data_base64"), " is not base64"));
    }
    return AppendDataText(type, media_type, decoded, context, events);
  }
  const nlohmann::json* data = Member(event, "data");
  if (data == nullptr) return absl::OkStatus();
  // Some senders put JSON data in as a string rather than as a JSON value.
  if (data->is_string()) {
    return AppendDataText(type, media_type, data->get_ref<const std::string&>(), context, events);
  }
  if (!IsJsonMediaType(media_type)) return absl::OkStatus();
  return WithContext(context, AppendShape(type, *data, events));
}

absl::Status AppendBinary(const Delivery& delivery, EventList& events) {
  auto required = [&](absl::string_view name) -> absl::StatusOr<std::string> {
    std::string value = Header(delivery, absl::StrCat("ce-", name));
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("ce-", name, " header is missing (CloudEvent attribute ", name, ")"));
    }
    return value;
  };
  ASSIGN_OR_RETURN(std::string specversion, required("specversion"));
  if (specversion != "1.0") return absl::InvalidArgumentError("ce-specversion must be \"1.0\"");
  RETURN_IF_ERROR(required("id").status());
  RETURN_IF_ERROR(required("source").status());
  ASSIGN_OR_RETURN(std::string type, required("type"));
  return AppendDataText(type, MediaType(Header(delivery, "content-type")), delivery.body, "data: ", events);
}

}  // namespace

absl::StatusOr<std::vector<RepositoryEvent>> ParseCloudEvents(const Delivery& delivery) {
  EventList events;
  const std::string media_type = MediaType(Header(delivery, "content-type"));
  if (media_type != kStructured && media_type != kBatched && delivery.headers.contains("ce-specversion")) {
    RETURN_IF_ERROR(AppendBinary(delivery, events));
    return std::move(events).Take();
  }
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(delivery.body));
  if (media_type == kBatched) {
    if (!body.is_array()) return WrongType("a batch of CloudEvents", "a JSON array");
    for (size_t i = 0; i < body.size(); ++i) {
      RETURN_IF_ERROR(AppendStructured(body[i], absl::StrCat("[", i, "] "), events));
    }
    return std::move(events).Take();
  }
  if (media_type != kStructured && body.is_object() && Member(body, "specversion") == nullptr &&
      IsEventBridgeEvent(body)) {
    RETURN_IF_ERROR(AppendEcrEventBridgeEvent(body, events));
    return std::move(events).Take();
  }
  if (media_type != kStructured && !body.is_object()) {
    return absl::InvalidArgumentError(
        "not a CloudEvent: CloudEvent attribute specversion is missing (no ce-specversion header, no JSON object body)");
  }
  RETURN_IF_ERROR(AppendStructured(body, "", events));
  return std::move(events).Take();
}

}  // namespace werf::webhook
