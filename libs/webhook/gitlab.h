// GitLab's container registry. GitLab's project and group webhooks carry no
// registry events (gitlab-org/gitlab#15385 is still open); what a self-managed
// GitLab's registry can send is what it inherited from CNCF distribution:
// notifications, configured in gitlab.rb as registry['notifications'] (or the
// chart's registry.notifications), posted as a distribution envelope with GitLab's
// extra fields (actor.user_type, meta, the `rename` action). So this parser is the
// distribution one: manifest pushes count; pull, delete, mount and rename do not
// (a rename moves no tag; the next regular poll of the new path picks it up).
//
// A delivery carrying X-Gitlab-Event is a GitLab project/system hook, e.g. a "Test"
// press on a webhook pointed here by mistake; it names nothing and is not an error,
// so that GitLab does not disable the hook.
//
// GitLab.com offers no way to point its registry's notifications elsewhere
// (gitlab-org/gitlab#32950); there, polling remains the way.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_GITLAB_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_GITLAB_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseGitLab(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_GITLAB_H_
