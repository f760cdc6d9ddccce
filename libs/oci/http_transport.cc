#include "libs/oci/http_transport.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace werf::oci {

absl::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kHead:
      return "HEAD";
    case HttpMethod::kPost:
      return "POST";
  }
  return "GET";
}

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

}  // namespace werf::oci
