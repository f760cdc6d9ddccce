// Bearer tokens that may rotate. Projected ServiceAccount tokens are refreshed by
// the kubelet in place, so a long-running client must re-read the file; client-go
// re-reads it at most once a minute, and we also re-read when the file changes.
#ifndef WERF_OPERATOR_LIBS_KUBE_TOKEN_SOURCE_H_
#define WERF_OPERATOR_LIBS_KUBE_TOKEN_SOURCE_H_

#include <ctime>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace werf::kube {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual absl::StatusOr<std::string> Token() = 0;
};

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  absl::StatusOr<std::string> Token() override { return token_; }

 private:
  const std::string token_;
};

class FileTokenSource final : public TokenSource {
 public:
  // `clock` decides the token's age; it must outlive the source.
  explicit FileTokenSource(std::string path, absl::Duration max_age = absl::Minutes(1),
                           common::Clock& clock = common::RealClock())
      : path_(std::move(path)), max_age_(max_age), clock_(clock) {}

  // The cached token unless it is older than max_age or the file changed since.
  absl::StatusOr<std::string> Token() override;

 private:
  const std::string path_;
  const absl::Duration max_age_;
  common::Clock& clock_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  timespec modified_ ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_TOKEN_SOURCE_H_
