#include "libs/oci/reference.h"

#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status_macros.h"

namespace werf::oci {
namespace {

// distribution: NameTotalLengthMax, which counts the registry too.
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

std::string Quote(absl::string_view text) { return absl::StrCat("\"", absl::CHexEscape(text.substr(0, 300)), "\""); }

// path-component ::= [a-z0-9]+ ( ( [._] | "__" | [-]+ ) [a-z0-9]+ )*
bool IsValidPathComponent(absl::string_view component) {
  if (component.empty()) return false;
  size_t i = 0;
  auto alnum_run = [&]() {
    const size_t start = i;
    while (i < component.size() && (absl::ascii_islower(component[i]) || absl::ascii_isdigit(component[i]))) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < component.size()) {
    const char c = component[i];
    if (c == '.') {
      ++i;
    } else if (c == '_') {
      ++i;
      if (i < component.size() && component[i] == '_') ++i;
    } else if (c == '-') {
      while (i < component.size() && component[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// domain-component ::= [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
bool IsValidDomainComponent(absl::string_view component) {
  if (component.empty() || component.front() == '-' || component.back() == '-') return false;
  for (char c : component) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return true;
}

absl::Status InvalidRegistry(absl::string_view registry, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("registry ", Quote(registry), " ", why));
}

// host[:port], where host is a DNS name, an IPv4 address or a bracketed IPv6 address.
absl::Status ValidateRegistry(absl::string_view registry) {
  absl::string_view host = registry;
  absl::string_view after_host;
  if (absl::StartsWith(registry, "[")) {
    const size_t close = registry.find(']');
    if (close == absl::string_view::npos) return InvalidRegistry(registry, "has an unterminated IPv6 address");
    host = registry.substr(1, close - 1);
    after_host = registry.substr(close + 1);
    bool valid = !host.empty();
    for (char c : host) valid = valid && (absl::ascii_isxdigit(c) || c == ':' || c == '.');
    if (!valid) return InvalidRegistry(registry, "has an invalid IPv6 address");
  } else {
    const size_t colon = registry.find(':');
    if (colon != absl::string_view::npos) {
      host = registry.substr(0, colon);
      after_host = registry.substr(colon);
    }
    for (absl::string_view component : absl::StrSplit(host, '.')) {
      if (!IsValidDomainComponent(component)) return InvalidRegistry(registry, "is not a valid host name");
    }
  }
  if (after_host.empty()) return absl::OkStatus();
  if (after_host.front() != ':') return InvalidRegistry(registry, "is not host[:port]");
  const absl::string_view port = after_host.substr(1);
  bool valid = !port.empty() && port.size() <= 5;
  for (char c : port) valid = valid && absl::ascii_isdigit(c);
  int number = 0;
  if (!valid || !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return InvalidRegistry(registry, "has an invalid port");
  }
  return absl::OkStatus();
}

absl::Status ValidatePath(absl::string_view path, absl::string_view reference) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("reference ", Quote(reference), " names no repository"));
  }
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    if (IsValidPathComponent(component)) continue;
    std::string hint;
    if (component.empty()) {
      hint = ": it has an empty path component (a doubled or trailing '/')";
    } else if (absl::AsciiStrToLower(component) != component) {
      hint = ": repository names must be lowercase";
    } else {
      hint = ": path components are lowercase letters and digits separated by '.', '_', '__' or '-'";
    }
    return absl::InvalidArgumentError(absl::StrCat("reference ", Quote(reference), " has an invalid path component ",
                                                   Quote(component), hint));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsDockerHub(absl::string_view registry) {
  const std::string lower = absl::AsciiStrToLower(registry);
  return lower == "docker.io" || lower == "index.docker.io" || lower == "registry-1.docker.io";
}

std::string CanonicalRegistry(absl::string_view registry) {
  if (IsDockerHub(registry)) return std::string(kDockerHubRegistry);
  return absl::AsciiStrToLower(registry);
}

absl::StatusOr<RepositoryRef> RepositoryRef::Parse(absl::string_view reference) {
  if (absl::StrContains(reference, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference ", Quote(reference),
                     " must not include a scheme: write registry.example.com/team/app (plain HTTP is what "
                     "registry.insecure is for)"));
  }
  if (absl::StrContains(reference, "@")) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference ", Quote(reference), " names an image digest; name the repository only"));
  }
  absl::string_view registry;
  absl::string_view path = reference;
  const size_t slash = reference.find('/');
  if (slash != absl::string_view::npos) {
    const absl::string_view first = reference.substr(0, slash);
    if (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost" ||
        absl::AsciiStrToLower(first) != first) {
      registry = first;
      path = reference.substr(slash + 1);
    }
  }
  const size_t last_slash = path.rfind('/');
  const absl::string_view last = last_slash == absl::string_view::npos ? path : path.substr(last_slash + 1);
  if (absl::StrContains(last, ':')) {
    return absl::InvalidArgumentError(absl::StrCat("reference ", Quote(reference), " includes a tag (",
                                                   Quote(last.substr(last.find(':'))),
                                                   "); name the repository only, tags are chosen by the bundle"));
  }
  return Create(registry.empty() ? kDockerHubRegistry : registry, path);
}

absl::StatusOr<RepositoryRef> RepositoryRef::Create(absl::string_view registry, absl::string_view path) {
  const std::string reference = absl::StrCat(registry, "/", path);
  if (registry.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("reference ", Quote(reference), " names no registry"));
  }
  RETURN_IF_ERROR(ValidateRegistry(registry));
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("reference ", Quote(reference), " names no repository"));
  std::string canonical = CanonicalRegistry(registry);
  std::string full_path(path);
  if (canonical == kDockerHubRegistry && !absl::StrContains(path, '/')) full_path = absl::StrCat("library/", path);
  RETURN_IF_ERROR(ValidatePath(full_path, reference));
  if (canonical.size() + 1 + full_path.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference ", Quote(reference), " is longer than ", kMaxNameLength, " characters"));
  }
  return RepositoryRef(std::move(canonical), std::move(full_path));
}

std::string RepositoryRef::endpoint() const {
  if (registry_ == kDockerHubRegistry) return std::string(kDockerHubEndpoint);
  return registry_;
}

std::string RepositoryRef::ToString() const { return absl::StrCat(registry_, "/", path_); }

absl::Status ValidateTag(absl::string_view tag) {
  bool valid = !tag.empty() && tag.size() <= kMaxTagLength && tag.front() != '.' && tag.front() != '-';
  for (char c : tag) valid = valid && (absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-');
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tag ", Quote(tag), " is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')"));
  }
  return absl::OkStatus();
}

}  // namespace werf::oci
