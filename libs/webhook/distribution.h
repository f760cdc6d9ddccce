// CNCF distribution (registry v2) notifications: the registry POSTs an envelope of
// events (media type application/vnd.docker.distribution.events.v1+json; its docs
// now say v2+json, the body is the same) to each `notifications.endpoints` URL.
//
// What counts: `push` events whose target is a manifest (an image manifest or
// index, Docker or OCI, by target.mediaType; a target without mediaType counts when
// its url is a /manifests/ URL). With a tag when the client pushed by tag, without
// one when it pushed by digest (the children of a multi-arch index, an artifact):
// the repository changed either way and the poller asks the registry what moved.
// Ignored: pull, delete, mount and any other action, and blob (layer, config)
// pushes, which always come with the manifest push that makes them visible.
//
// The registry host comes from target.url (the URL the registry built from the
// request's Host, so it is the name clients push to), else from request.host.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_DISTRIBUTION_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_DISTRIBUTION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseDistribution(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_DISTRIBUTION_H_
