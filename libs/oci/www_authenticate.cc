#include "libs/oci/www_authenticate.h"

#include <cstddef>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/oci/header_lexer.h"

namespace werf::oci {
namespace {

using internal::HeaderLexer;

constexpr absl::string_view kHeader = "WWW-Authenticate";  // in Malformed's messages

// True when a token68 starts here: the token68 must be the whole rest of the
// challenge, so "realm=x" (a parameter) is not one but "abc==" is.
bool Token68Follows(HeaderLexer& lexer) {
  const size_t start = lexer.position();
  const bool found = !lexer.Token68().empty() && (lexer.SkipWhitespace(), lexer.AtEnd() || lexer.Peek() == ',');
  lexer.Reset(start);
  return found;
}

// True when `name BWS "="` starts here, i.e. a parameter rather than the next challenge.
bool ParameterFollows(HeaderLexer& lexer) {
  const size_t start = lexer.position();
  const bool found = !lexer.Token().empty() && (lexer.SkipWhitespace(), lexer.Peek() == '=');
  lexer.Reset(start);
  return found;
}

// auth-param *( OWS "," OWS auth-param ), stopping before a following challenge.
absl::Status ParseParameters(HeaderLexer& lexer, AuthChallenge& challenge) {
  do {
    const std::string name = absl::AsciiStrToLower(lexer.Token());
    lexer.SkipWhitespace();
    if (name.empty() || !lexer.Consume('=')) return lexer.Malformed(kHeader, "name=value");
    lexer.SkipWhitespace();
    std::optional<std::string> value = lexer.ParameterValue();
    if (!value.has_value()) return lexer.Malformed(kHeader, "a token or a terminated quoted string");
    challenge.params.emplace(name, *std::move(value));
    lexer.SkipWhitespace();
    if (lexer.AtEnd()) return absl::OkStatus();
    if (lexer.Peek() != ',') return lexer.Malformed(kHeader, "',' between parameters");
    lexer.SkipWhitespaceAndCommas();
  } while (!lexer.AtEnd() && ParameterFollows(lexer));
  return absl::OkStatus();
}

}  // namespace

std::string AuthChallenge::Param(absl::string_view name) const {
  auto it = params.find(absl::AsciiStrToLower(name));
  return it == params.end() ? std::string() : it->second;
}

absl::StatusOr<std::vector<AuthChallenge>> ParseWwwAuthenticate(absl::string_view header) {
  if (header.size() > kMaxChallengeHeaderLength) {
    return absl::InvalidArgumentError(absl::StrCat("WWW-Authenticate header is ", header.size(),
                                                   " bytes, more than ", kMaxChallengeHeaderLength));
  }
  std::vector<AuthChallenge> challenges;
  HeaderLexer lexer(header);
  while (true) {
    lexer.SkipWhitespaceAndCommas();
    if (lexer.AtEnd()) break;
    AuthChallenge challenge;
    challenge.scheme = absl::AsciiStrToLower(lexer.Token());
    if (challenge.scheme.empty()) return lexer.Malformed(kHeader, "an auth-scheme");
    const bool had_space = lexer.SkipWhitespace();
    if (!lexer.AtEnd() && lexer.Peek() != ',') {
      if (!had_space) return lexer.Malformed(kHeader, "a space after the auth-scheme");
      if (Token68Follows(lexer)) {
        challenge.token68 = std::string(lexer.Token68());
        lexer.SkipWhitespace();
      } else {
        RETURN_IF_ERROR(ParseParameters(lexer, challenge));
      }
    }
    challenges.push_back(std::move(challenge));
  }
  if (challenges.empty()) return absl::InvalidArgumentError("WWW-Authenticate header holds no challenge");
  return challenges;
}

const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges, absl::string_view scheme) {
  for (const AuthChallenge& challenge : challenges) {
    if (absl::EqualsIgnoreCase(challenge.scheme, scheme)) return &challenge;
  }
  return nullptr;
}

}  // namespace werf::oci
