#include "libs/kube/token_source.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace werf::kube {

absl::StatusOr<std::string> FileTokenSource::Token() {
  struct stat info {};
  const bool exists = stat(path_.c_str(), &info) == 0;
  absl::MutexLock lock(&mu_);
  const bool changed = exists && (info.st_mtim.tv_sec != modified_.tv_sec ||
                                  info.st_mtim.tv_nsec != modified_.tv_nsec);
  if (!token_.empty() && !changed && clock_.Now() - read_at_ < max_age_) return token_;

  std::ifstream in(path_);
  if (!in) {
    // Keep serving the last good token through a brief rotation gap.
    if (!token_.empty()) return token_;
    return absl::UnavailableError(
        absl::StrCat("cannot read the bearer token file ", path_,
                     ": check that the ServiceAccount token is mounted"));
  }
  std::stringstream content;
  content << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(content.str()));
  if (token.empty()) {
    if (!token_.empty()) return token_;
    return absl::UnavailableError(absl::StrCat("the bearer token file ", path_, " is empty"));
  }
  token_ = std::move(token);
  read_at_ = clock_.Now();
  if (exists) modified_ = info.st_mtim;
  return token_;
}

}  // namespace werf::kube
