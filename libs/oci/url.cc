#include "libs/oci/url.h"

#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/status_macros.h"

namespace werf::oci {
namespace {

bool IsUnreserved(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

std::string Quote(absl::string_view text) { return absl::StrCat("\"", absl::CHexEscape(text.substr(0, 300)), "\""); }

// RFC 3986 section 5.2.4.
std::string RemoveDotSegments(absl::string_view path) {
  std::vector<absl::string_view> output;
  const std::vector<absl::string_view> segments = absl::StrSplit(path, '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    const absl::string_view segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (segment == ".") {
      if (last) output.push_back("");
    } else if (segment == "..") {
      if (output.size() > 1) output.pop_back();
      if (last) output.push_back("");
    } else {
      output.push_back(segment);
    }
  }
  std::string result = absl::StrJoin(output, "/");
  if (absl::StartsWith(path, "/") && !absl::StartsWith(result, "/")) result.insert(0, "/");
  return result;
}

absl::string_view StripFragment(absl::string_view url) {
  const size_t hash = url.find('#');
  return hash == absl::string_view::npos ? url : url.substr(0, hash);
}

}  // namespace

std::string QueryEscape(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c)) {
      escaped.push_back(c);
    } else {
      const unsigned char byte = static_cast<unsigned char>(c);
      escaped.push_back('%');
      escaped.push_back(kHex[byte >> 4]);
      escaped.push_back(kHex[byte & 0xf]);
    }
  }
  return escaped;
}

std::string ParsedUrl::Origin() const {
  absl::string_view host = authority;
  if ((scheme == "http" && absl::EndsWith(host, ":80")) || (scheme == "https" && absl::EndsWith(host, ":443"))) {
    host.remove_suffix(scheme == "http" ? 3 : 4);
  }
  return absl::StrCat(scheme, "://", host);
}

std::string ParsedUrl::ToString() const {
  return absl::StrCat(scheme, "://", authority, path, has_query ? "?" : "", query);
}

absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url) {
  url = StripFragment(url);
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("URL ", Quote(url), " is not absolute"));
  }
  ParsedUrl parsed;
  parsed.scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat("URL ", Quote(url), " is not http or https"));
  }
  absl::string_view rest = url.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?");
  const absl::string_view authority = rest.substr(0, authority_end);
  if (authority.empty()) return absl::InvalidArgumentError(absl::StrCat("URL ", Quote(url), " has no host"));
  if (absl::StrContains(authority, '@')) {
    return absl::InvalidArgumentError("URL carries userinfo; credentials are never accepted in URLs");
  }
  for (char c : authority) {
    if (!absl::ascii_isgraph(c)) return absl::InvalidArgumentError(absl::StrCat("URL ", Quote(url), " has an invalid host"));
  }
  parsed.authority = absl::AsciiStrToLower(authority);
  rest = authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
  const size_t question = rest.find('?');
  parsed.path = std::string(rest.substr(0, question));
  if (parsed.path.empty()) parsed.path = "/";
  if (question != absl::string_view::npos) {
    parsed.has_query = true;
    parsed.query = std::string(rest.substr(question + 1));
  }
  for (char c : absl::StrCat(parsed.path, parsed.query)) {
    if (!absl::ascii_isgraph(c)) {
      return absl::InvalidArgumentError(absl::StrCat("URL ", Quote(url), " contains spaces or control characters"));
    }
  }
  return parsed;
}

absl::StatusOr<std::string> ResolveUrl(absl::string_view base, absl::string_view reference) {
  ASSIGN_OR_RETURN(const ParsedUrl base_url, ParseUrl(base));
  reference = StripFragment(reference);
  for (char c : reference) {
    if (!absl::ascii_isgraph(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("URL reference ", Quote(reference), " contains spaces or control characters"));
    }
  }
  // A scheme is letters, digits, '+', '-', '.' before the first ':' that precedes any '/', '?'.
  const size_t colon = reference.find(':');
  if (colon != absl::string_view::npos && colon < reference.find_first_of("/?")) {
    ASSIGN_OR_RETURN(ParsedUrl absolute, ParseUrl(reference));
    absolute.path = RemoveDotSegments(absolute.path);
    return absolute.ToString();
  }
  ParsedUrl target = base_url;
  if (absl::StartsWith(reference, "//")) {
    return ResolveUrl(base, absl::StrCat(base_url.scheme, ":", reference));
  }
  absl::string_view path = reference;
  const size_t question = reference.find('?');
  if (question != absl::string_view::npos) {
    path = reference.substr(0, question);
    target.has_query = true;
    target.query = std::string(reference.substr(question + 1));
  } else if (!reference.empty()) {
    target.has_query = false;
    target.query.clear();
  }
  if (absl::StartsWith(path, "/")) {
    target.path = RemoveDotSegments(path);
  } else if (!path.empty()) {
    const size_t last_slash = base_url.path.rfind('/');
    target.path = RemoveDotSegments(absl::StrCat(base_url.path.substr(0, last_slash + 1), path));
  }
  return target.ToString();
}

}  // namespace werf::oci
