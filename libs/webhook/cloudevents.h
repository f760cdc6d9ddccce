// CloudEvents 1.0 over HTTP (the HTTP protocol binding), in its three modes:
//   structured  content-type application/cloudevents+json, the body is the event;
//   batched     content-type application/cloudevents-batch+json, an array of them;
//   binary      the attributes are ce-* headers (ce-specversion, ce-id, ce-source,
//               ce-type), the body is the data, content-type its datacontenttype.
// A body with specversion under another content-type (application/json is common)
// is read as structured. The required attributes (specversion 1.0, id, source,
// type) must be there; a missing one is InvalidArgument naming it.
//
// What the data may be (by the event type, else by the data's shape):
//   - Harbor's CloudEvents format: type harbor.artifact.pushed, data = event_data;
//     other harbor.* types name nothing.
//   - An Amazon EventBridge event, e.g. an EventBridge → API destination whose input
//     transformer wraps the event as data: "ECR Image Action" with action-type PUSH
//     and result SUCCESS names <account>.dkr.ecr.<region>.amazonaws.com/<repository-name>.
//   - A distribution notifications envelope ({"events":[{"action","target",...}]}).
//   - The generic shape ({"registry","repository","tag"} or {"events":[...]}), see
//     generic.h.
// Anything else is a well-formed event that names no repository: no events.
//
// An EventBridge event posted as it is (no CloudEvents attributes, which is what an
// API destination without an input transformer sends) is accepted as well: it is
// recognisable by detail-type, and rejecting it would only make users write a
// transformer for nothing.
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_CLOUDEVENTS_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_CLOUDEVENTS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/webhook/repository_event.h"

namespace werf::webhook {

absl::StatusOr<std::vector<RepositoryEvent>> ParseCloudEvents(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_CLOUDEVENTS_H_
