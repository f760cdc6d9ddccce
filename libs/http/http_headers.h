// Response headers as HTTP defines them: names compared case-insensitively,
// repeated fields kept in arrival order (Link, WWW-Authenticate and the
// RateLimit-* fields may each come more than once).
#ifndef WERF_OPERATOR_LIBS_HTTP_HTTP_HEADERS_H_
#define WERF_OPERATOR_LIBS_HTTP_HTTP_HEADERS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace werf::http {

class HttpHeaders {
 public:
  void Add(absl::string_view name, absl::string_view value);
  void Clear() { headers_.clear(); }

  // The first value of `name`, if any.
  std::optional<std::string> Get(absl::string_view name) const;
  // Every value of `name` joined with ", " (RFC 9110 5.3); empty when absent.
  std::string GetJoined(absl::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& all() const { return headers_; }

 private:
  std::vector<std::pair<std::string, std::string>> headers_;  // lowercase names
};

// Feeds one raw header line as libcurl hands it over ("Name: value\r\n"). A
// status line ("HTTP/1.1 200 OK") starts a new response (a redirect's or a
// 100 Continue's successor), so the headers collected so far are dropped;
// lines without a name are ignored.
void AddHeaderLine(absl::string_view line, HttpHeaders& headers);

}  // namespace werf::http

#endif  // WERF_OPERATOR_LIBS_HTTP_HTTP_HEADERS_H_
