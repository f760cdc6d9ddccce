// Docker Hub repository webhooks. Docker Hub fires them on a push only, and the
// payload carries no event type: every delivery is a push of push_data.tag to
// repository.repo_name (`library/nginx` for an official image; a name without a
// slash gets `library/`). The registry is docker.io. Docker Hub cannot sign or add
// headers, so the receiver authenticates it by a secret token in the URL path.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_DOCKERHUB_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_DOCKERHUB_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseDockerHub(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_DOCKERHUB_H_
