// Harbor webhooks (project → Webhooks, notify type HTTP). Harbor sends one JSON
// document per event, in its "Default" format ({"type":"PUSH_ARTIFACT",
// "event_data":{...}}) or, since 2.8, its "CloudEvents" format (a structured
// CloudEvent of type harbor.artifact.pushed whose data is the same event_data);
// both are accepted here, and the CloudEvents one at /hooks/cloudevents too.
//
// Only artifact pushes count; pulls, deletes, scans, quota and replication events
// name no new version. The repository is event_data.repository.repo_full_name, the
// registry host is the host of each resource's resource_url
// (`hub.harbor.com/project/repo:tag`, built from Harbor's external URL), and each
// resource's tag is the event's tag.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_HARBOR_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_HARBOR_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseHarbor(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_HARBOR_H_
