// A cursor over one HTTP header value with the RFC 9110 lexical pieces both
// WWW-Authenticate and Link are made of: tokens, quoted strings, optional
// whitespace. The parsers build their grammars from it.
#ifndef WERF_OPERATOR_LIBS_OCI_HEADER_LEXER_H_
#define WERF_OPERATOR_LIBS_OCI_HEADER_LEXER_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace werf::oci::internal {

class HeaderLexer {
 public:
  explicit HeaderLexer(absl::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  // The current character; '\0' at the end.
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  size_t position() const { return pos_; }
  void Reset(size_t position) { pos_ = position; }

  // Consumes `c` when it is next.
  bool Consume(char c);
  // Skips spaces and tabs; true when it skipped any.
  bool SkipWhitespace();
  // Skips whitespace and commas (empty list elements are allowed, RFC 9110 5.6.1).
  void SkipWhitespaceAndCommas();

  // 1*tchar; empty when the next character is not a tchar.
  absl::string_view Token();
  // A token68 (RFC 9110 11.2): 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
  absl::string_view Token68();
  // A quoted-string with its quoted-pairs unescaped; nullopt when the next
  // character is not '"', the string is unterminated, or holds a control character.
  std::optional<std::string> QuotedString();
  // A parameter value: a quoted string, or (leniently, since registries send
  // unquoted URLs) the characters up to whitespace, ',' or ';'. nullopt when empty or malformed.
  std::optional<std::string> ParameterValue();

  // Characters up to (not including) `c`, consumed; nullopt when `c` never comes.
  std::optional<absl::string_view> Until(char c);

  // The error of every parser built on the lexer: InvalidArgument "malformed <header>
  // header: expected <expected> at offset <position()>", the offset where the grammar broke.
  absl::Status Malformed(absl::string_view header, absl::string_view expected) const;

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

bool IsTokenChar(char c);

}  // namespace werf::oci::internal

#endif  // WERF_OPERATOR_LIBS_OCI_HEADER_LEXER_H_
