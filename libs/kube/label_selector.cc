#include "libs/kube/label_selector.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace werf::kube {
namespace {

using Operator = LabelSelector::Operator;
using Requirement = LabelSelector::Requirement;

// --- validation, as k8s.io/apimachinery/pkg/util/validation ---------------------------

bool IsAlphanumeric(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// A label name or value: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
bool IsLabelToken(absl::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  if (!IsAlphanumeric(text.front()) || !IsAlphanumeric(text.back())) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return IsAlphanumeric(c) || c == '-' || c == '_' || c == '.';
  });
}

// A DNS-1123 subdomain: lower-case labels joined by dots, at most 253 characters.
bool IsDnsSubdomain(absl::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(text, '.')) {
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
            absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-')) {
        return false;
      }
    }
  }
  return true;
}

// `name` or `prefix/name`, as label keys are.
bool IsQualifiedName(absl::string_view key) {
  const std::vector<absl::string_view> parts = absl::StrSplit(key, '/');
  if (parts.size() == 1) return IsLabelToken(parts[0]);
  return parts.size() == 2 && IsDnsSubdomain(parts[0]) && IsLabelToken(parts[1]);
}

bool IsLabelValue(absl::string_view value) { return value.empty() || IsLabelToken(value); }

// --- lexer ------------------------------------------------------------------------------

enum class TokenKind {
  kEnd, kIdentifier, kComma, kOpenParen, kCloseParen, kEquals, kDoubleEquals, kNotEquals,
  kBang, kGreater, kLess, kIn, kNotIn,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  absl::string_view text;
  size_t offset = 0;
};

bool IsSpecial(char c) {
  return c == ',' || c == '(' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' ||
         absl::ascii_isspace(static_cast<unsigned char>(c));
}

std::vector<Token> Lex(absl::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) break;
    const size_t start = i;
    auto single = [&](TokenKind kind, size_t length) {
      tokens.push_back({kind, text.substr(start, length), start});
      i += length;
    };
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (c) {
      case ',': single(TokenKind::kComma, 1); continue;
      case '(': single(TokenKind::kOpenParen, 1); continue;
      case ')': single(TokenKind::kCloseParen, 1); continue;
      case '<': single(TokenKind::kLess, 1); continue;
      case '>': single(TokenKind::kGreater, 1); continue;
      case '=': single(next == '=' ? TokenKind::kDoubleEquals : TokenKind::kEquals, next == '=' ? 2 : 1); continue;
      case '!': single(next == '=' ? TokenKind::kNotEquals : TokenKind::kBang, next == '=' ? 2 : 1); continue;
      default: break;
    }
    while (i < text.size() && !IsSpecial(text[i])) ++i;
    const absl::string_view word = text.substr(start, i - start);
    const TokenKind kind = word == "in"      ? TokenKind::kIn
                           : word == "notin" ? TokenKind::kNotIn
                                             : TokenKind::kIdentifier;
    tokens.push_back({kind, word, start});
  }
  tokens.push_back({TokenKind::kEnd, "", text.size()});
  return tokens;
}

std::string Describe(const Token& token) {
  return token.kind == TokenKind::kEnd ? "the end" : absl::StrCat("\"", token.text, "\"");
}

// --- parser -----------------------------------------------------------------------------

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text), tokens_(Lex(text)) {}

  absl::StatusOr<std::vector<Requirement>> Parse() {
    std::vector<Requirement> requirements;
    if (Peek().kind == TokenKind::kEnd) return requirements;
    while (true) {
      absl::StatusOr<Requirement> requirement = ParseRequirement();
      if (!requirement.ok()) return requirement.status();
      requirements.push_back(*std::move(requirement));
      const Token& after = Take();
      if (after.kind == TokenKind::kEnd) return requirements;
      if (after.kind != TokenKind::kComma) {
        return Error(after, absl::StrCat("expected \",\" or the end, found ", Describe(after)));
      }
    }
  }

 private:
  const Token& Peek() const { return tokens_[position_]; }
  const Token& Take() {
    const Token& token = tokens_[position_];
    if (token.kind != TokenKind::kEnd) ++position_;
    return token;
  }

  absl::Status Error(const Token& at, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid label selector \"", text_, "\": ", what, " at offset ", at.offset));
  }

  absl::StatusOr<std::string> ParseKey() {
    const Token& token = Take();
    if (token.kind != TokenKind::kIdentifier) {
      return Error(token, absl::StrCat("expected a label key, found ", Describe(token)));
    }
    if (!IsQualifiedName(token.text)) {
      return Error(token, absl::StrCat("\"", token.text,
                                       "\" is not a valid label key (name or prefix/name; "
                                       "alphanumerics, '-', '_', '.'; at most 63 characters)"));
    }
    return std::string(token.text);
  }

  // A single value after =, == or !=; empty when the requirement ends right there.
  absl::StatusOr<std::string> ParseValue() {
    const Token& token = Peek();
    if (token.kind == TokenKind::kEnd || token.kind == TokenKind::kComma) return std::string();
    Take();
    if (token.kind != TokenKind::kIdentifier) {
      return Error(token, absl::StrCat("expected a label value, found ", Describe(token)));
    }
    if (!IsLabelValue(token.text)) {
      return Error(token, absl::StrCat("\"", token.text,
                                       "\" is not a valid label value (alphanumerics, '-', '_', "
                                       "'.'; at most 63 characters)"));
    }
    return std::string(token.text);
  }

  absl::StatusOr<std::vector<std::string>> ParseValueSet(const Token& op) {
    const Token& open = Take();
    if (open.kind != TokenKind::kOpenParen) {
      return Error(open, absl::StrCat("expected \"(\" after \"", op.text, "\""));
    }
    std::vector<std::string> values;
    if (Peek().kind == TokenKind::kCloseParen) {
      return Error(Peek(), absl::StrCat("\"", op.text, "\" needs at least one value"));
    }
    while (true) {
      const Token& token = Take();
      if (token.kind != TokenKind::kIdentifier || !IsLabelValue(token.text)) {
        return Error(token, absl::StrCat("expected a label value, found ", Describe(token)));
      }
      values.emplace_back(token.text);
      const Token& separator = Take();
      if (separator.kind == TokenKind::kCloseParen) break;
      if (separator.kind != TokenKind::kComma) {
        return Error(separator, absl::StrCat("expected \",\" or \")\", found ", Describe(separator)));
      }
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
  }

  absl::StatusOr<Requirement> ParseRequirement() {
    Requirement requirement;
    if (Peek().kind == TokenKind::kBang) {
      Take();
      absl::StatusOr<std::string> key = ParseKey();
      if (!key.ok()) return key.status();
      requirement.key = *std::move(key);
      requirement.op = Operator::kDoesNotExist;
      return requirement;
    }
    absl::StatusOr<std::string> key = ParseKey();
    if (!key.ok()) return key.status();
    requirement.key = *std::move(key);

    const Token& op = Peek();
    switch (op.kind) {
      case TokenKind::kEnd:
      case TokenKind::kComma:
        requirement.op = Operator::kExists;
        return requirement;
      case TokenKind::kEquals:
      case TokenKind::kDoubleEquals:
      case TokenKind::kNotEquals: {
        Take();
        requirement.op = op.kind == TokenKind::kNotEquals ? Operator::kNotEquals : Operator::kEquals;
        absl::StatusOr<std::string> value = ParseValue();
        if (!value.ok()) return value.status();
        requirement.values.push_back(*std::move(value));
        return requirement;
      }
      case TokenKind::kIn:
      case TokenKind::kNotIn: {
        Take();
        requirement.op = op.kind == TokenKind::kIn ? Operator::kIn : Operator::kNotIn;
        absl::StatusOr<std::vector<std::string>> values = ParseValueSet(op);
        if (!values.ok()) return values.status();
        requirement.values = *std::move(values);
        return requirement;
      }
      case TokenKind::kGreater:
      case TokenKind::kLess: {
        Take();
        requirement.op = op.kind == TokenKind::kGreater ? Operator::kGreaterThan : Operator::kLessThan;
        const Token& number = Take();
        int64_t unused = 0;
        if (number.kind != TokenKind::kIdentifier || !absl::SimpleAtoi(number.text, &unused)) {
          return Error(number, absl::StrCat("\"", op.text, "\" needs an integer, found ",
                                            Describe(number)));
        }
        requirement.values.emplace_back(number.text);
        return requirement;
      }
      default:
        return Error(op, absl::StrCat("expected an operator (=, ==, !=, in, notin, <, >), "
                                      "\",\" or the end after \"", requirement.key, "\", found ",
                                      Describe(op)));
    }
  }

  absl::string_view text_;
  std::vector<Token> tokens_;
  size_t position_ = 0;
};

bool Contains(const std::vector<std::string>& sorted, absl::string_view value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

bool RequirementMatches(const Requirement& requirement, std::optional<absl::string_view> value) {
  switch (requirement.op) {
    case Operator::kExists: return value.has_value();
    case Operator::kDoesNotExist: return !value.has_value();
    case Operator::kEquals:
    case Operator::kIn: return value.has_value() && Contains(requirement.values, *value);
    case Operator::kNotEquals:
    case Operator::kNotIn: return !value.has_value() || !Contains(requirement.values, *value);
    case Operator::kGreaterThan:
    case Operator::kLessThan: {
      int64_t actual = 0;
      int64_t bound = 0;
      if (!value.has_value() || !absl::SimpleAtoi(*value, &actual) ||
          !absl::SimpleAtoi(requirement.values.front(), &bound)) {
        return false;
      }
      return requirement.op == Operator::kGreaterThan ? actual > bound : actual < bound;
    }
  }
  return false;
}

std::string RequirementToString(const Requirement& requirement) {
  switch (requirement.op) {
    case Operator::kExists: return requirement.key;
    case Operator::kDoesNotExist: return absl::StrCat("!", requirement.key);
    case Operator::kEquals: return absl::StrCat(requirement.key, "=", requirement.values.front());
    case Operator::kNotEquals: return absl::StrCat(requirement.key, "!=", requirement.values.front());
    case Operator::kGreaterThan: return absl::StrCat(requirement.key, ">", requirement.values.front());
    case Operator::kLessThan: return absl::StrCat(requirement.key, "<", requirement.values.front());
    case Operator::kIn:
      return absl::StrCat(requirement.key, " in (", absl::StrJoin(requirement.values, ","), ")");
    case Operator::kNotIn:
      return absl::StrCat(requirement.key, " notin (", absl::StrJoin(requirement.values, ","), ")");
  }
  return "";
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  absl::StatusOr<std::vector<Requirement>> requirements = Parser(text).Parse();
  if (!requirements.ok()) return requirements.status();
  std::stable_sort(requirements->begin(), requirements->end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return LabelSelector(*std::move(requirements));
}

bool LabelSelector::Matches(
    absl::FunctionRef<std::optional<absl::string_view>(absl::string_view)> lookup) const {
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const Requirement& r) {
    return RequirementMatches(r, lookup(r.key));
  });
}

std::string LabelSelector::ToString() const {
  return absl::StrJoin(requirements_, ",", [](std::string* out, const Requirement& r) {
    out->append(RequirementToString(r));
  });
}

}  // namespace werf::kube
