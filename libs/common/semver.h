// Semantic Versioning 2.0.0 (https://semver.org) versions and npm/Masterminds
// style version constraints, for picking chart and image versions from tags.
//
//   ASSIGN_OR_RETURN(Constraint want, ParseConstraint("~1.2 || ^2.0.1"));
//   ASSIGN_OR_RETURN(Version v, ParseVersion("v1.2.7"));
//   if (want.Matches(v)) ...
#ifndef WERF_OPERATOR_LIBS_COMMON_SEMVER_H_
#define WERF_OPERATOR_LIBS_COMMON_SEMVER_H_

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace werf::common {

// A parsed semantic version. Only ParseVersion() can produce one with
// prerelease or build identifiers, so every Version is valid.
class Version {
 public:
  // A plain release version MAJOR.MINOR.PATCH.
  Version(uint64_t major, uint64_t minor, uint64_t patch);

  uint64_t major() const { return major_; }
  uint64_t minor() const { return minor_; }
  uint64_t patch() const { return patch_; }
  // Dot-separated prerelease identifiers, e.g. {"rc", "1"} for 1.0.0-rc.1.
  absl::Span<const std::string> prerelease() const { return prerelease_; }
  // Dot-separated build metadata identifiers, e.g. {"sha", "5114f85"}.
  absl::Span<const std::string> build() const { return build_; }
  bool is_prerelease() const { return !prerelease_.empty(); }

  // The text this version was parsed from, verbatim (e.g. "v1.2.3"), so that
  // messages show users the tag they actually wrote.
  const std::string& text() const { return text_; }
  // Canonical form without the "v" prefix, e.g. "1.2.3-rc.1+sha.5114f85".
  std::string ToString() const;

 private:
  friend absl::StatusOr<Version> ParseVersion(absl::string_view text);
  Version() = default;

  std::string text_;
  uint64_t major_ = 0;
  uint64_t minor_ = 0;
  uint64_t patch_ = 0;
  std::vector<std::string> prerelease_;
  std::vector<std::string> build_;
};

// Parses a strict semver 2.0.0 version: MAJOR.MINOR.PATCH, optionally followed
// by "-" and dot-separated prerelease identifiers and by "+" and build
// metadata. Numeric identifiers must not have leading zeros, and MAJOR, MINOR
// and PATCH must fit in uint64 (numeric prerelease identifiers may be of any
// length; they compare exactly regardless).
//
// The one leniency: a single leading "v" is accepted, because git and
// registry tags are usually spelled "v1.2.3". Surrounding whitespace is not.
//
// Returns InvalidArgument quoting `text` and naming the bad part.
absl::StatusOr<Version> ParseVersion(absl::string_view text);

// Orders by semver precedence (semver.org, item 11): returns -1, 0 or 1.
// Build metadata is ignored, so 1.0.0+a and 1.0.0+b compare equal.
int Compare(const Version& a, const Version& b);

// Operators follow Compare(). Equality is precedence equality, hence a weak
// ordering: equal versions may still differ in build metadata and text().
inline std::weak_ordering operator<=>(const Version& a, const Version& b) {
  return Compare(a, b) <=> 0;
}
inline bool operator==(const Version& a, const Version& b) {
  return Compare(a, b) == 0;
}

// Prints text().
std::ostream& operator<<(std::ostream& os, const Version& v);

namespace semver_internal {

// A primitive comparison against one version; every constraint expands to
// ORs of ANDs of these.
enum class Op { kEq, kNe, kGt, kGe, kLt, kLe };
struct Comparator {
  Op op;
  Version version;
};

}  // namespace semver_internal

// A set of acceptable versions, e.g. ">=1.2, <2 || ~3.1".
//
// Prerelease rule (the one npm and Masterminds/semver use): a prerelease
// version matches an AND-set only if it satisfies every comparator in it AND
// at least one comparator of that set names a prerelease of the same
// MAJOR.MINOR.PATCH. Prereleases therefore have to be opted into, per
// release: ">=1.2.3-alpha.1" matches 1.2.3-alpha.7 but not 3.4.5-alpha.9, and
// "*" or "^1.0.0" never match 1.5.0-rc.1.
class Constraint {
 public:
  bool Matches(const Version& v) const;

  // The constraint as written (trimmed), e.g. "~1.2".
  const std::string& text() const { return text_; }
  // The constraint expanded into primitive comparators, e.g.
  // ">=1.2.0 <1.3.0", to explain in messages what "~1.2" means.
  std::string ToString() const;

 private:
  using AndSet = std::vector<semver_internal::Comparator>;

  friend absl::StatusOr<Constraint> ParseConstraint(absl::string_view text);
  Constraint(std::string text, std::vector<AndSet> any_of)
      : text_(std::move(text)), any_of_(std::move(any_of)) {}

  std::string text_;
  std::vector<AndSet> any_of_;  // Matches if any set does; none is empty.
};

// Parses a constraint. Grammar (npm / Masterminds flavoured):
//
//   constraint := and-set ("||" and-set)*
//   and-set    := range ([,\s]+ range)*       AND by comma or whitespace
//   range      := op? \s* partial | partial " - " partial
//   op         := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "^"
//   partial    := "v"? X ("." X ("." X)?)? with X a number or x, X, *;
//                 a full version may carry prerelease and build parts
//
// Meaning:
//   1.2.x, 1.2, =1.2   >=1.2.0 <1.3.0       *, x   any release
//   ~1.2.3             >=1.2.3 <1.3.0       ~1.2   >=1.2.0 <1.3.0
//   ~1                 >=1.0.0 <2.0.0
//   ^1.2.3             >=1.2.3 <2.0.0       ^0.2.3 >=0.2.3 <0.3.0
//   ^0.0.3             >=0.0.3 <0.0.4       ^0.0   >=0.0.0 <0.1.0
//   >1.2               >=1.3.0              <=1.2  <1.3.0
//   1.2 - 1.4.5        >=1.2.0 <=1.4.5      1.2.3 - 2.3  >=1.2.3 <2.4.0
//
// "!=" needs a full version, and ">*" / "<*" are rejected since they match
// nothing. An empty constraint is an error: callers decide what "no
// constraint" means. Returns InvalidArgument quoting `text`.
absl::StatusOr<Constraint> ParseConstraint(absl::string_view text);

// Prints text().
std::ostream& operator<<(std::ostream& os, const Constraint& c);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_SEMVER_H_
