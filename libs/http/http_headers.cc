#include "libs/http/http_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace werf::http {

void HttpHeaders::Add(absl::string_view name, absl::string_view value) {
  headers_.emplace_back(absl::AsciiStrToLower(name), std::string(value));
}

std::optional<std::string> HttpHeaders::Get(absl::string_view name) const {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const auto& [header, value] : headers_) {
    if (header == lower) return value;
  }
  return std::nullopt;
}

std::string HttpHeaders::GetJoined(absl::string_view name) const {
  const std::string lower = absl::AsciiStrToLower(name);
  std::string joined;
  for (const auto& [header, value] : headers_) {
    if (header == lower) absl::StrAppend(&joined, joined.empty() ? "" : ", ", value);
  }
  return joined;
}

void AddHeaderLine(absl::string_view line, HttpHeaders& headers) {
  if (absl::StartsWith(line, "HTTP/")) {
    headers.Clear();
    return;
  }
  line = absl::StripTrailingAsciiWhitespace(line);
  const size_t colon = line.find(':');
  if (line.empty() || colon == absl::string_view::npos || colon == 0) return;
  headers.Add(line.substr(0, colon), absl::StripAsciiWhitespace(line.substr(colon + 1)));
}

}  // namespace werf::http
