#include "libs/kube/watch_parser.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace werf::kube {
namespace {

// Error messages quote at most this many bytes of the stream: enough to
// recognise the event, and never a whole object, which may hold data that
// does not belong in logs.
constexpr size_t kExcerptBytes = 48;

// A line larger than this is not kept between lines; a huge line would
// otherwise pin its memory for the rest of the watch.
constexpr size_t kRetainedBufferBytes = size_t{1} << 20;

std::string Quote(absl::string_view bytes) {
  return absl::StrCat("\"", absl::CHexEscape(bytes), "\"");
}

// The first kExcerptBytes of `text`, quoted, marking a cut.
std::string ExcerptOf(absl::string_view text) {
  if (text.size() <= kExcerptBytes) return Quote(text);
  return absl::StrCat(Quote(text.substr(0, kExcerptBytes)), "...");
}

// Finds where a JSON text stops being valid, without exceptions. Only used
// once the DOM parse has failed, to explain why.
class JsonErrorLocator : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::json::exception& error) override {
    position_ = position;
    description_ = Describe(error.what());
    return false;
  }

  // 1-based byte offset of the error (one past the end for a premature end).
  size_t position() const { return position_; }
  const std::string& description() const { return description_; }

 private:
  // nlohmann's message reads "[json.exception.parse_error.101] parse error at
  // line 1, column 9: syntax error while parsing value - invalid literal;
  // last read: '<token>'; expected ...". The token can be a whole string
  // value, so it is dropped; the rest is what helps.
  static std::string Describe(absl::string_view what) {
    constexpr absl::string_view kLastRead = "; last read: '";
    constexpr absl::string_view kExpected = "; expected ";
    constexpr size_t kMaxDescription = 160;
    if (size_t column = what.find("column "); column != what.npos) {
      if (size_t colon = what.find(": ", column); colon != what.npos) {
        what.remove_prefix(colon + 2);
      }
    }
    std::string description(what.substr(0, what.find(kLastRead)));
    if (size_t last_read = what.find(kLastRead); last_read != what.npos) {
      if (size_t expected = what.rfind(kExpected);
          expected != what.npos && expected > last_read) {
        absl::StrAppend(&description, what.substr(expected));
      }
    }
    if (description.size() > kMaxDescription)
      description.resize(kMaxDescription);
    return EscapeUnprintable(description);
  }

  // The description is nlohmann's fixed wording, but escape anything odd
  // rather than trust that.
  static std::string EscapeUnprintable(absl::string_view text) {
    std::string escaped;
    for (char c : text) {
      if (c >= 0x20 && c < 0x7f) {
        escaped.push_back(c);
      } else {
        absl::StrAppend(&escaped, absl::CHexEscape(absl::string_view(&c, 1)));
      }
    }
    return escaped;
  }

  size_t position_ = 0;
  std::string description_ = "syntax error";
};

std::optional<WatchEventType> ParseEventType(absl::string_view name) {
  if (name == "ADDED") return WatchEventType::kAdded;
  if (name == "MODIFIED") return WatchEventType::kModified;
  if (name == "DELETED") return WatchEventType::kDeleted;
  if (name == "BOOKMARK") return WatchEventType::kBookmark;
  if (name == "ERROR") return WatchEventType::kError;
  return std::nullopt;
}

const std::string* StringField(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : it->get_ptr<const std::string*>();
}

}  // namespace

absl::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

bool KubeStatus::IsExpired() const {
  return code == 410 || reason == "Expired" || reason == "Gone";
}

std::optional<KubeStatus> WatchEvent::AsStatus() const {
  if (type != WatchEventType::kError || !object.is_object()) {
    return std::nullopt;
  }
  KubeStatus status;
  if (auto code = object.find("code"); code != object.end()) {
    if (const auto* value =
            code->get_ptr<const nlohmann::json::number_integer_t*>();
        value != nullptr && *value >= 0 && *value <= INT_MAX) {
      status.code = static_cast<int>(*value);
    } else if (const auto* value =
                   code->get_ptr<const nlohmann::json::number_unsigned_t*>();
               value != nullptr && *value <= INT_MAX) {
      status.code = static_cast<int>(*value);
    }
  }
  if (const std::string* reason = StringField(object, "reason")) {
    status.reason = *reason;
  }
  if (const std::string* message = StringField(object, "message")) {
    status.message = *message;
  }
  return status;
}

std::optional<std::string> WatchEvent::ResourceVersion() const {
  if (!object.is_object()) return std::nullopt;
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return std::nullopt;
  const std::string* version = StringField(*metadata, "resourceVersion");
  if (version == nullptr) return std::nullopt;
  return *version;
}

WatchStreamParser::WatchStreamParser(size_t max_line_bytes)
    : max_line_bytes_(std::max<size_t>(1, max_line_bytes)) {}

absl::Status WatchStreamParser::Feed(
    absl::string_view chunk, absl::FunctionRef<void(WatchEvent)> on_event) {
  if (!error_.ok()) return error_;
  if (finished_) {
    return Fail(absl::FailedPreconditionError(
        "watch stream: Feed called after Finish"));
  }
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    const absl::string_view line_end = chunk.substr(0, newline);
    if (partial_line_.size() + line_end.size() > max_line_bytes_) {
      // Checked before the newline arrives, so that a runaway line is
      // refused instead of buffered.
      return Fail(LineTooLong(line_end));
    }
    if (newline == absl::string_view::npos) {
      partial_line_.append(chunk.data(), chunk.size());
      return absl::OkStatus();
    }
    chunk.remove_prefix(newline + 1);
    absl::Status status;
    if (partial_line_.empty()) {
      // The common case, a whole line inside one chunk, is parsed in place.
      status = ParseLine(line_end, on_event);
    } else {
      partial_line_.append(line_end.data(), line_end.size());
      status = ParseLine(partial_line_, on_event);
      partial_line_.clear();
      if (partial_line_.capacity() > kRetainedBufferBytes) {
        std::string().swap(partial_line_);
      }
    }
    if (!status.ok()) return Fail(std::move(status));
    ++line_number_;
  }
  return absl::OkStatus();
}

absl::Status WatchStreamParser::Finish(
    absl::FunctionRef<void(WatchEvent)> on_event) {
  if (!error_.ok()) return error_;
  if (finished_) return absl::OkStatus();
  finished_ = true;
  std::string last_line = std::move(partial_line_);
  partial_line_.clear();
  absl::Status status = ParseLine(last_line, on_event, /*at_end=*/true);
  if (!status.ok()) return Fail(std::move(status));
  return absl::OkStatus();
}

absl::Status WatchStreamParser::ParseLine(
    absl::string_view line, absl::FunctionRef<void(WatchEvent)> on_event,
    bool at_end) {
  if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
  if (absl::StripAsciiWhitespace(line).empty()) return absl::OkStatus();
  // Built only on the error paths: this runs for every event.
  auto where = [this] {
    return absl::StrCat("watch stream line ", line_number_);
  };

  nlohmann::json root =
      nlohmann::json::parse(line.begin(), line.end(), /*cb=*/nullptr,
                            /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    JsonErrorLocator locator;
    nlohmann::json::sax_parse(line.begin(), line.end(), &locator);
    if (at_end && locator.position() > line.size()) {
      return absl::DataLossError(absl::StrCat(
          where(), ": the stream ended in the middle of an event (",
          line.size(), " bytes after the last newline; they start ",
          ExcerptOf(line), ")"));
    }
    // Quote the bytes leading up to the error, the offending one included.
    const size_t end = std::min(line.size(), locator.position());
    const size_t start = end > kExcerptBytes ? end - kExcerptBytes : 0;
    return absl::InvalidArgumentError(absl::StrCat(
        where(), ": invalid JSON at byte ", locator.position(), " (",
        locator.description(), "), near ", start > 0 ? "..." : "",
        Quote(line.substr(start, end - start))));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(), ": expected a JSON object, got ",
                     root.type_name(), " ", ExcerptOf(line)));
  }
  const std::string* type_name = StringField(root, "type");
  if (type_name == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        where(),
        ": the event has no string field \"type\": ", ExcerptOf(line)));
  }
  std::optional<WatchEventType> type = ParseEventType(*type_name);
  if (!type.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(), ": unknown event type ", ExcerptOf(*type_name),
                     "; expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR"));
  }
  auto object = root.find("object");
  if (object == root.end() || !object->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where(), ": the ", *type_name, " event's field \"object\" is ",
        object == root.end() ? "missing"
                             : absl::StrCat("a JSON ", object->type_name()),
        " instead of a JSON object: ", ExcerptOf(line)));
  }
  on_event(WatchEvent{*type, std::move(*object)});
  return absl::OkStatus();
}

absl::Status WatchStreamParser::Fail(absl::Status status) {
  error_ = status;
  std::string().swap(partial_line_);
  return status;
}

absl::Status WatchStreamParser::LineTooLong(absl::string_view more) const {
  // Quote the same bytes however the line was chunked: its first
  // kExcerptBytes, or all of it that the cap lets through if that is less.
  const size_t quoted = std::min(kExcerptBytes, max_line_bytes_ + 1);
  std::string start = partial_line_.substr(0, quoted);
  const absl::string_view rest = more.substr(0, quoted - start.size());
  start.append(rest.data(), rest.size());
  return absl::ResourceExhaustedError(absl::StrCat(
      "watch stream line ", line_number_, " is longer than the limit of ",
      max_line_bytes_, " bytes; it starts ", Quote(start)));
}

}  // namespace werf::kube
