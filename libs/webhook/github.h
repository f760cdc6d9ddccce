// GitHub `package` and `registry_package` webhooks (X-GitHub-Event names which;
// registry_package is the older name GitHub still sends) for container images on
// ghcr.io. Counted: actions `published` and `updated` of a package whose
// package_type or registry.type is CONTAINER (or DOCKER, GitHub's Docker registry,
// since migrated to ghcr.io); npm, Maven and the rest name no image. `ping`, any
// other event and any other action name nothing.
//
// The repository is `<owner>/<package name>` lower-cased, as ghcr.io spells it
// (package.owner.login, else package.namespace; package.name may itself contain
// '/'); the tag is package_version.container_metadata.tag.name when not empty (a
// push by digest has none).
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_GITHUB_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_GITHUB_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

inline constexpr char kGitHubContainerRegistry[] = "ghcr.io";

absl::StatusOr<std::vector<RepositoryEvent>> ParseGitHub(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_GITHUB_H_
