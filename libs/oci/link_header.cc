#include "libs/oci/link_header.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status_macros.h"
#include "libs/oci/header_lexer.h"

namespace werf::oci {
namespace {

using internal::HeaderLexer;

constexpr absl::string_view kHeader = "Link";  // in Malformed's messages

bool IsValidTarget(absl::string_view target) {
  for (char c : target) {
    if (!absl::ascii_isgraph(c) || c == '<') return false;
  }
  return true;
}

// *( OWS ";" OWS link-param ), where link-param = token BWS [ "=" BWS ( token / quoted-string ) ].
absl::Status ParseParameters(HeaderLexer& lexer, LinkValue& link) {
  while (true) {
    lexer.SkipWhitespace();
    if (!lexer.Consume(';')) return absl::OkStatus();
    lexer.SkipWhitespace();
    const std::string name = absl::AsciiStrToLower(lexer.Token());
    if (name.empty()) return lexer.Malformed(kHeader, "a parameter name after ';'");
    lexer.SkipWhitespace();
    std::string value;
    if (lexer.Consume('=')) {
      lexer.SkipWhitespace();
      std::optional<std::string> parsed = lexer.ParameterValue();
      if (!parsed.has_value()) return lexer.Malformed(kHeader, "a token or a terminated quoted string");
      value = *std::move(parsed);
    }
    link.params.emplace(name, std::move(value));
  }
}

}  // namespace

bool LinkValue::HasRel(absl::string_view relation) const {
  auto rel = params.find("rel");
  if (rel == params.end()) return false;
  for (absl::string_view value : absl::StrSplit(rel->second, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    if (absl::EqualsIgnoreCase(value, relation)) return true;
  }
  return false;
}

absl::StatusOr<std::vector<LinkValue>> ParseLinkHeader(absl::string_view header) {
  if (header.size() > kMaxLinkHeaderLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("Link header is ", header.size(), " bytes, more than ", kMaxLinkHeaderLength));
  }
  std::vector<LinkValue> links;
  HeaderLexer lexer(header);
  while (true) {
    lexer.SkipWhitespaceAndCommas();
    if (lexer.AtEnd()) break;
    if (!lexer.Consume('<')) return lexer.Malformed(kHeader, "'<' starting a link target");
    std::optional<absl::string_view> target = lexer.Until('>');
    if (!target.has_value()) return lexer.Malformed(kHeader, "'>' closing the link target");
    if (!IsValidTarget(*target)) return lexer.Malformed(kHeader, "a link target without spaces or control characters");
    lexer.Consume('>');
    LinkValue link;
    link.target = std::string(*target);
    RETURN_IF_ERROR(ParseParameters(lexer, link));
    lexer.SkipWhitespace();
    if (!lexer.AtEnd() && lexer.Peek() != ',') return lexer.Malformed(kHeader, "';' or ',' after a link");
    links.push_back(std::move(link));
  }
  return links;
}

absl::StatusOr<std::optional<std::string>> FindNextLink(absl::string_view header) {
  ASSIGN_OR_RETURN(std::vector<LinkValue> links, ParseLinkHeader(header));
  for (LinkValue& link : links) {
    if (link.HasRel("next")) return std::move(link.target);
  }
  return std::nullopt;
}

}  // namespace werf::oci
