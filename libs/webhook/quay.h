// Quay (quay.io and Red Hat Quay) "Repository Push" notifications with the Webhook
// POST method. Quay sends every notification kind of a repository to the URL the
// notification names, all with docker_url; a push is the one with updated_tags
// (build, vulnerability and mirror notifications carry none), which Quay documents
// as a list of tags and older quay.io sent as an object of tag → image id; both are
// read. docker_url (`quay.io/namespace/repo`, the server's own host name) gives the
// registry host and the repository. Quay cannot sign; the receiver authenticates it
// by a secret token in the URL path.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_QUAY_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_QUAY_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseQuay(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_QUAY_H_
