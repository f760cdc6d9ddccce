// What a registry webhook says, reduced to the one fact the operator acts on: "this
// repository changed". The payload is never trusted for tags or digests; the poller
// that owns the repository asks the registry (the tag, when a source names one, is
// kept for logs and metrics only).
#ifndef WERF_OPERATOR_LIBS_WEBHOOK_REPOSITORY_EVENT_H_
#define WERF_OPERATOR_LIBS_WEBHOOK_REPOSITORY_EVENT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace werf::webhook {

// One repository a webhook delivery names.
struct RepositoryEvent {
  // Canonical registry host as in libs/oci/reference.h (`docker.io`, `ghcr.io`,
  // `registry.example.com:5000`).
  std::string registry;
  // Repository path inside the registry, e.g. `team/app` (Docker Hub: `library/nginx`).
  std::string repository;
  // The tag the event names, if any; informational only.
  std::optional<std::string> tag;

  friend bool operator==(const RepositoryEvent&, const RepositoryEvent&) = default;
};

// One HTTP delivery as the receiver got it, after authentication and the size limit.
struct Delivery {
  // Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
};

// A parser per source kind. Each returns the repositories the delivery names (possibly
// none: a ping, a pull, a delete, an event kind that is not a push), or
// InvalidArgument with a short reason a sender can act on when the body is not the
// source's format. Parsers never see secrets and never log.
using Parser = absl::StatusOr<std::vector<RepositoryEvent>> (*)(const Delivery& delivery);

}  // namespace werf::webhook

#endif  // WERF_OPERATOR_LIBS_WEBHOOK_REPOSITORY_EVENT_H_
