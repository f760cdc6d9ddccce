#include "libs/oci/header_lexer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace werf::oci::internal {
namespace {

bool IsToken68Char(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// qdtext and quoted-pair exclude control characters other than HTAB.
bool IsControl(char c) {
  const unsigned char byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7f;
}

}  // namespace

bool IsTokenChar(char c) {
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return absl::ascii_isalnum(c);
  }
}

bool HeaderLexer::Consume(char c) {
  if (AtEnd() || text_[pos_] != c) return false;
  ++pos_;
  return true;
}

bool HeaderLexer::SkipWhitespace() {
  const size_t start = pos_;
  while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  return pos_ > start;
}

void HeaderLexer::SkipWhitespaceAndCommas() {
  while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ',')) ++pos_;
}

absl::string_view HeaderLexer::Token() {
  const size_t start = pos_;
  while (!AtEnd() && IsTokenChar(text_[pos_])) ++pos_;
  return text_.substr(start, pos_ - start);
}

absl::string_view HeaderLexer::Token68() {
  const size_t start = pos_;
  while (!AtEnd() && IsToken68Char(text_[pos_])) ++pos_;
  if (pos_ == start) return {};
  while (!AtEnd() && text_[pos_] == '=') ++pos_;
  return text_.substr(start, pos_ - start);
}

std::optional<std::string> HeaderLexer::QuotedString() {
  const size_t start = pos_;
  if (!Consume('"')) return std::nullopt;
  std::string value;
  while (!AtEnd()) {
    char c = text_[pos_++];
    if (c == '"') return value;
    if (c == '\\') {
      if (AtEnd()) break;
      c = text_[pos_++];
    }
    if (IsControl(c)) break;
    value.push_back(c);
  }
  pos_ = start;
  return std::nullopt;
}

std::optional<std::string> HeaderLexer::ParameterValue() {
  if (Peek() == '"') return QuotedString();
  const size_t start = pos_;
  while (!AtEnd()) {
    const char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == ',' || c == ';' || c == '"' || IsControl(c)) break;
    ++pos_;
  }
  if (pos_ == start) return std::nullopt;
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<absl::string_view> HeaderLexer::Until(char c) {
  const size_t end = text_.find(c, pos_);
  if (end == absl::string_view::npos) return std::nullopt;
  const absl::string_view value = text_.substr(pos_, end - pos_);
  pos_ = end;
  return value;
}

absl::Status HeaderLexer::Malformed(absl::string_view header, absl::string_view expected) const {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed ", header, " header: expected ", expected, " at offset ", pos_));
}

}  // namespace werf::oci::internal
