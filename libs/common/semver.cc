#include "libs/common/semver.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "libs/common/status_macros.h"

namespace werf::common {

using semver_internal::Comparator;
using semver_internal::Op;

namespace {

constexpr absl::string_view kWhitespace = " \t\n\r\f\v";
constexpr std::array<absl::string_view, 3> kComponentNames = {
    "major version", "minor version", "patch version"};

// Quotes user input for error messages. Escaping everything outside
// printable ASCII keeps the message unambiguous, and valid UTF-8 (as status
// conditions must be) whatever the input was.
std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s), "\"");
}

absl::Status Invalid(absl::string_view detail) {
  return absl::InvalidArgumentError(detail);
}

// Re-issues an error from a helper with the user's full input up front, so
// the message reads `invalid version "x": <what is wrong>`.
absl::Status WithContext(absl::string_view what, absl::string_view input,
                         const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid ", what, " ", Quote(input), ": ", status.message()));
}

bool IsDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
}

bool IsIdentifierChar(char c) { return absl::ascii_isalnum(c) || c == '-'; }

bool IsWildcard(absl::string_view s) {
  return s == "x" || s == "X" || s == "*";
}

int Sign(int n) { return (n > 0) - (n < 0); }

// Parses MAJOR, MINOR or PATCH: digits only, no leading zero, fits uint64.
absl::StatusOr<uint64_t> ParseComponent(absl::string_view s,
                                        absl::string_view name) {
  if (s.empty()) return Invalid(absl::StrCat(name, " is empty"));
  if (!IsDigits(s)) {
    return Invalid(absl::StrCat(name, " ", Quote(s), " is not a number"));
  }
  if (s.size() > 1 && s[0] == '0') {
    return Invalid(absl::StrCat(name, " ", Quote(s), " has a leading zero"));
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t n = 0;
  for (char c : s) {
    const uint64_t digit = c - '0';
    if (n > (kMax - digit) / 10) {
      return Invalid(absl::StrCat(name, " ", Quote(s), " overflows uint64"));
    }
    n = n * 10 + digit;
  }
  return n;
}

// Splits dot-separated prerelease or build identifiers. Only prerelease
// numbers are compared, so only they must lack leading zeros (semver items 9
// and 10).
absl::StatusOr<std::vector<std::string>> ParseIdentifiers(
    absl::string_view s, absl::string_view kind, bool reject_leading_zeros) {
  std::vector<std::string> ids;
  for (absl::string_view id : absl::StrSplit(s, '.')) {
    if (id.empty()) return Invalid(absl::StrCat("empty ", kind, " identifier"));
    if (!std::all_of(id.begin(), id.end(), IsIdentifierChar)) {
      return Invalid(absl::StrCat(kind, " identifier ", Quote(id),
                                  " has a character outside [0-9A-Za-z-]"));
    }
    if (reject_leading_zeros && IsDigits(id) && id.size() > 1 && id[0] == '0') {
      return Invalid(
          absl::StrCat(kind, " identifier ", Quote(id), " has a leading zero"));
    }
    ids.emplace_back(id);
  }
  return ids;
}

// Semver item 11.4: numeric identifiers sort numerically and below
// alphanumeric ones, which sort in ASCII order.
int CompareIdentifiers(absl::string_view a, absl::string_view b) {
  const bool a_numeric = IsDigits(a);
  const bool b_numeric = IsDigits(b);
  if (a_numeric != b_numeric) return a_numeric ? -1 : 1;
  // Without leading zeros the longer number is the larger one, which compares
  // numbers of any length without parsing them.
  if (a_numeric && a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return Sign(a.compare(b));
}

}  // namespace

Version::Version(uint64_t major, uint64_t minor, uint64_t patch)
    : text_(absl::StrCat(major, ".", minor, ".", patch)),
      major_(major),
      minor_(minor),
      patch_(patch) {}

std::string Version::ToString() const {
  std::string s = absl::StrCat(major_, ".", minor_, ".", patch_);
  if (!prerelease_.empty()) {
    absl::StrAppend(&s, "-", absl::StrJoin(prerelease_, "."));
  }
  if (!build_.empty()) {
    absl::StrAppend(&s, "+", absl::StrJoin(build_, "."));
  }
  return s;
}

absl::StatusOr<Version> ParseVersion(absl::string_view text) {
  Version v;
  // Parses straight into v's fields (a lambda shares this friend's access),
  // then puts the input in front of whatever went wrong.
  const absl::Status status = [text, &v]() -> absl::Status {
    if (text.empty()) return Invalid("empty string");
    absl::string_view rest = text;
    if (absl::ConsumePrefix(&rest, "v") && rest.empty()) {
      return Invalid("nothing after \"v\"");
    }

    // Build metadata may itself contain '-', so split it off first.
    if (const size_t plus = rest.find('+'); plus != rest.npos) {
      ASSIGN_OR_RETURN(v.build_,
                       ParseIdentifiers(rest.substr(plus + 1), "build metadata",
                                        /*reject_leading_zeros=*/false));
      rest = rest.substr(0, plus);
    }
    if (const size_t dash = rest.find('-'); dash != rest.npos) {
      ASSIGN_OR_RETURN(v.prerelease_,
                       ParseIdentifiers(rest.substr(dash + 1), "prerelease",
                                        /*reject_leading_zeros=*/true));
      rest = rest.substr(0, dash);
    }

    const std::vector<absl::string_view> parts = absl::StrSplit(rest, '.');
    if (parts.size() != 3) {
      return Invalid(absl::StrCat("want MAJOR.MINOR.PATCH, got ", parts.size(),
                                  parts.size() == 1 ? " part" : " parts"));
    }
    ASSIGN_OR_RETURN(v.major_, ParseComponent(parts[0], kComponentNames[0]));
    ASSIGN_OR_RETURN(v.minor_, ParseComponent(parts[1], kComponentNames[1]));
    ASSIGN_OR_RETURN(v.patch_, ParseComponent(parts[2], kComponentNames[2]));
    return absl::OkStatus();
  }();
  if (!status.ok()) return WithContext("version", text, status);
  v.text_ = std::string(text);
  return v;
}

int Compare(const Version& a, const Version& b) {
  if (a.major() != b.major()) return a.major() < b.major() ? -1 : 1;
  if (a.minor() != b.minor()) return a.minor() < b.minor() ? -1 : 1;
  if (a.patch() != b.patch()) return a.patch() < b.patch() ? -1 : 1;
  // A release ranks above its prereleases (item 11.3).
  if (a.is_prerelease() != b.is_prerelease()) return a.is_prerelease() ? -1 : 1;
  const absl::Span<const std::string> pa = a.prerelease();
  const absl::Span<const std::string> pb = b.prerelease();
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    if (int c = CompareIdentifiers(pa[i], pb[i]); c != 0) return c;
  }
  // Equal prefixes: the longer set of identifiers wins (item 11.4.4).
  if (pa.size() != pb.size()) return pa.size() < pb.size() ? -1 : 1;
  return 0;
}

std::ostream& operator<<(std::ostream& os, const Version& v) {
  return os << v.text();
}

// ---------------------------------------------------------------------------
// Constraints.

namespace {

using AndSet = std::vector<Comparator>;

// Range operators as written; Tilde and Caret expand to primitive Ops.
enum class RangeOp { kEq, kNe, kGt, kGe, kLt, kLe, kTilde, kCaret };

// Longest operators first, so ">=" is not read as ">" followed by "=1.2".
constexpr std::array<std::pair<absl::string_view, RangeOp>, 8> kRangeOps = {{
    {">=", RangeOp::kGe},
    {"<=", RangeOp::kLe},
    {"!=", RangeOp::kNe},
    {">", RangeOp::kGt},
    {"<", RangeOp::kLt},
    {"=", RangeOp::kEq},
    {"~", RangeOp::kTilde},
    {"^", RangeOp::kCaret},
}};

// A version with trailing parts possibly left open, such as "1.2" or "1.x".
struct Partial {
  absl::string_view text;  // As written, for messages.
  // How many leading components are numbers (0 for "*"); the rest are open.
  int numbers = 0;
  // The lowest version covered: open parts are zero. When numbers == 3 this
  // is the full version, prerelease included.
  Version base{0, 0, 0};
};

absl::StatusOr<Partial> ParsePartial(absl::string_view token) {
  absl::string_view rest = token;
  if (absl::ConsumePrefix(&rest, "v") &&
      (rest.empty() || !absl::ascii_isdigit(rest[0]))) {
    return Invalid(absl::StrCat(Quote(token), ": \"v\" must precede a number"));
  }
  const size_t suffix = rest.find_first_of("-+");
  const std::vector<absl::string_view> parts =
      absl::StrSplit(rest.substr(0, suffix), '.');
  if (parts.size() > 3) {
    return Invalid(absl::StrCat(Quote(token), " has ", parts.size(),
                                " dot-separated parts, want at most "
                                "MAJOR.MINOR.PATCH"));
  }

  Partial p;
  p.text = token;
  std::array<uint64_t, 3> numbers = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (IsWildcard(parts[i])) continue;
    if (p.numbers != static_cast<int>(i)) {
      return Invalid(absl::StrCat(Quote(token), ": number ", Quote(parts[i]),
                                  " follows a wildcard"));
    }
    ASSIGN_OR_RETURN(numbers[i], ParseComponent(parts[i], kComponentNames[i]));
    ++p.numbers;
  }
  if (p.numbers == 3) {
    // Let ParseVersion validate the prerelease and build parts.
    ASSIGN_OR_RETURN(p.base, ParseVersion(token));
    return p;
  }
  if (suffix != rest.npos) {
    return Invalid(absl::StrCat(Quote(token),
                                ": a prerelease or build suffix needs a full "
                                "MAJOR.MINOR.PATCH version"));
  }
  p.base = Version(numbers[0], numbers[1], numbers[2]);
  return p;
}

absl::StatusOr<uint64_t> Increment(uint64_t n) {
  if (n == std::numeric_limits<uint64_t>::max()) {
    return Invalid(
        absl::StrCat("version number ", n, " cannot be incremented"));
  }
  return n + 1;
}

absl::StatusOr<Version> NextMajor(const Version& v) {
  ASSIGN_OR_RETURN(uint64_t major, Increment(v.major()));
  return Version(major, 0, 0);
}
absl::StatusOr<Version> NextMinor(const Version& v) {
  ASSIGN_OR_RETURN(uint64_t minor, Increment(v.minor()));
  return Version(v.major(), minor, 0);
}
absl::StatusOr<Version> NextPatch(const Version& v) {
  ASSIGN_OR_RETURN(uint64_t patch, Increment(v.patch()));
  return Version(v.major(), v.minor(), patch);
}

// The lowest release above everything an open partial covers: "1" -> 2.0.0,
// "1.2" -> 1.3.0. Requires 0 < p.numbers < 3.
absl::StatusOr<Version> NextAfter(const Partial& p) {
  return p.numbers == 1 ? NextMajor(p.base) : NextMinor(p.base);
}

// ">*" and "<*" are surely mistakes, not requests for nothing.
absl::Status MatchesNothing(absl::string_view op_text, const Partial& p) {
  return Invalid(absl::StrCat(Quote(op_text), " with wildcard ", Quote(p.text),
                              " matches no version"));
}

// Expands `op partial` into primitive comparators appended to `out`.
absl::Status AppendRange(RangeOp op, absl::string_view op_text,
                         const Partial& p, AndSet& out) {
  const bool exact = p.numbers == 3;
  const bool any = p.numbers == 0;
  const auto add = [&out](Op o, Version v) {
    out.push_back({o, std::move(v)});
  };
  switch (op) {
    case RangeOp::kEq:
      if (exact) {
        add(Op::kEq, p.base);
      } else {
        add(Op::kGe, p.base);
        if (!any) {
          ASSIGN_OR_RETURN(Version hi, NextAfter(p));
          add(Op::kLt, std::move(hi));
        }
      }
      return absl::OkStatus();
    case RangeOp::kNe:
      if (!exact) {
        return Invalid(absl::StrCat(
            Quote(op_text), " needs a full MAJOR.MINOR.PATCH version, got ",
            Quote(p.text)));
      }
      add(Op::kNe, p.base);
      return absl::OkStatus();
    case RangeOp::kGt:
      if (any) return MatchesNothing(op_text, p);
      if (exact) {
        add(Op::kGt, p.base);
      } else {
        // >1.2 means above all of 1.2.x.
        ASSIGN_OR_RETURN(Version lo, NextAfter(p));
        add(Op::kGe, std::move(lo));
      }
      return absl::OkStatus();
    case RangeOp::kLt:
      if (any) return MatchesNothing(op_text, p);
      // <1.2 means below all of 1.2.x, which is below 1.2.0.
      add(Op::kLt, p.base);
      return absl::OkStatus();
    case RangeOp::kGe:
      add(Op::kGe, p.base);
      return absl::OkStatus();
    case RangeOp::kLe:
      if (exact) {
        add(Op::kLe, p.base);
      } else if (any) {
        add(Op::kGe, p.base);
      } else {
        // <=1.2 includes all of 1.2.x.
        ASSIGN_OR_RETURN(Version hi, NextAfter(p));
        add(Op::kLt, std::move(hi));
      }
      return absl::OkStatus();
    case RangeOp::kTilde: {
      // Patch-level changes, or minor-level if only a major is given.
      add(Op::kGe, p.base);
      if (any) return absl::OkStatus();
      ASSIGN_OR_RETURN(Version hi,
                       p.numbers == 1 ? NextMajor(p.base) : NextMinor(p.base));
      add(Op::kLt, std::move(hi));
      return absl::OkStatus();
    }
    case RangeOp::kCaret: {
      // Changes that keep the left-most non-zero given component.
      add(Op::kGe, p.base);
      if (any) return absl::OkStatus();
      const Version& b = p.base;
      absl::StatusOr<Version> hi =
          (b.major() > 0 || p.numbers == 1)   ? NextMajor(b)
          : (b.minor() > 0 || p.numbers == 2) ? NextMinor(b)
                                              : NextPatch(b);
      if (!hi.ok()) return hi.status();
      add(Op::kLt, *std::move(hi));
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unhandled range operator");
}

bool StartsWithOperator(absl::string_view token) {
  return !token.empty() &&
         absl::string_view("=!<>~^").find(token[0]) != absl::string_view::npos;
}

// "A - B": at least A and at most B, where an open B covers all it names.
absl::Status AppendHyphenRange(absl::string_view low, absl::string_view high,
                               AndSet& out) {
  for (absl::string_view bound : {low, high}) {
    if (StartsWithOperator(bound)) {
      return Invalid(absl::StrCat("hyphen range bound ", Quote(bound),
                                  " takes no operator"));
    }
  }
  ASSIGN_OR_RETURN(const Partial lo, ParsePartial(low));
  ASSIGN_OR_RETURN(const Partial hi, ParsePartial(high));
  RETURN_IF_ERROR(AppendRange(RangeOp::kGe, ">=", lo, out));
  if (hi.numbers > 0) {
    RETURN_IF_ERROR(AppendRange(RangeOp::kLe, "<=", hi, out));
  }
  return absl::OkStatus();
}

// Parses one comma-separated piece of an AND-set: whitespace-separated ranges.
absl::Status AppendPiece(absl::string_view piece, AndSet& out) {
  const std::vector<absl::string_view> tokens =
      absl::StrSplit(piece, absl::ByAnyChar(kWhitespace), absl::SkipEmpty());
  if (tokens.empty()) return Invalid("empty comparator around \",\"");
  const auto is_hyphen = [&tokens](size_t i) {
    return i < tokens.size() && tokens[i] == "-";
  };
  for (size_t i = 0; i < tokens.size();) {
    if (is_hyphen(i + 1)) {
      if (i + 2 >= tokens.size()) {
        return Invalid(absl::StrCat("hyphen range ", Quote(tokens[i]),
                                    " - has no upper bound"));
      }
      RETURN_IF_ERROR(AppendHyphenRange(tokens[i], tokens[i + 2], out));
      i += 3;
      continue;
    }
    if (is_hyphen(i)) {
      return Invalid("\"-\" must stand between two versions: \"1.2 - 1.4\"");
    }

    absl::string_view token = tokens[i++];
    RangeOp op = RangeOp::kEq;
    absl::string_view op_text;
    for (const auto& [text, range_op] : kRangeOps) {
      if (absl::StartsWith(token, text)) {
        op = range_op;
        op_text = text;
        break;
      }
    }
    absl::string_view version = token.substr(op_text.size());
    if (version.empty()) {
      // The operator stands apart from its version: ">= 1.2.3".
      if (i >= tokens.size() || is_hyphen(i)) {
        return Invalid(
            absl::StrCat("operator ", Quote(token), " has no version"));
      }
      version = tokens[i++];
    }
    ASSIGN_OR_RETURN(const Partial p, ParsePartial(version));
    RETURN_IF_ERROR(AppendRange(op, op_text, p, out));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AndSet>> ParseAlternatives(absl::string_view text) {
  if (text.empty()) return Invalid("empty constraint");
  std::vector<AndSet> any_of;
  for (absl::string_view alternative : absl::StrSplit(text, "||")) {
    if (absl::StripAsciiWhitespace(alternative).empty()) {
      return Invalid("empty alternative around \"||\"");
    }
    AndSet set;
    for (absl::string_view piece : absl::StrSplit(alternative, ',')) {
      RETURN_IF_ERROR(AppendPiece(piece, set));
    }
    any_of.push_back(std::move(set));
  }
  return any_of;
}

bool Satisfies(const Comparator& c, const Version& v) {
  const int cmp = Compare(v, c.version);
  switch (c.op) {
    case Op::kEq:
      return cmp == 0;
    case Op::kNe:
      return cmp != 0;
    case Op::kGt:
      return cmp > 0;
    case Op::kGe:
      return cmp >= 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kLe:
      return cmp <= 0;
  }
  return false;
}

bool SameRelease(const Version& a, const Version& b) {
  return a.major() == b.major() && a.minor() == b.minor() &&
         a.patch() == b.patch();
}

bool SetMatches(const AndSet& set, const Version& v) {
  if (!std::all_of(set.begin(), set.end(),
                   [&v](const Comparator& c) { return Satisfies(c, v); })) {
    return false;
  }
  if (!v.is_prerelease()) return true;
  // The prerelease opt-in rule documented on Constraint.
  return std::any_of(set.begin(), set.end(), [&v](const Comparator& c) {
    return c.version.is_prerelease() && SameRelease(c.version, v);
  });
}

absl::string_view OpText(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
  }
  return "?";
}

}  // namespace

absl::StatusOr<Constraint> ParseConstraint(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  absl::StatusOr<std::vector<AndSet>> any_of = ParseAlternatives(trimmed);
  if (!any_of.ok()) {
    return WithContext("version constraint", text, any_of.status());
  }
  return Constraint(std::string(trimmed), *std::move(any_of));
}

bool Constraint::Matches(const Version& v) const {
  return std::any_of(any_of_.begin(), any_of_.end(),
                     [&v](const AndSet& set) { return SetMatches(set, v); });
}

std::string Constraint::ToString() const {
  return absl::StrJoin(
      any_of_, " || ", [](std::string* out, const AndSet& set) {
        absl::StrAppend(
            out,
            absl::StrJoin(set, " ", [](std::string* s, const Comparator& c) {
              absl::StrAppend(s, OpText(c.op), c.version.ToString());
            }));
      });
}

std::ostream& operator<<(std::ostream& os, const Constraint& c) {
  return os << c.text();
}

}  // namespace werf::common
