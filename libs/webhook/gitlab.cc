#include "libs/webhook/gitlab.h"

#include "libs/webhook/distribution.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseGitLab(const Delivery& delivery) {
  if (delivery.headers.contains("x-gitlab-event")) return std::vector<RepositoryEvent>();
  return ParseDistribution(delivery);
}

}  // namespace werf::webhook
