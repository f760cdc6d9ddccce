// The messages a bundle's decision sends to the hub's workers, built from its spec:
// what to poll (TrackRepository) and which Job to run (ConvergeRequest). Pure.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_REQUESTS_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_REQUESTS_H_

#include <string>

#include "libs/api/bundle_status.h"
#include "services/controller/bundle_spec.h"
#include "services/controller/decide.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::controller {

// "repository", plus the credential identity, so bundles share a schedule only
// when they would make the very same requests. `access_identity` is
// ClusterFacts::registry_access_identity: with it, bundles whose credentials and CA
// Secrets hold the same content share one poll whichever namespace they are in (one
// tag list per repository and credentials); without it (the Secrets are not known
// yet) the Secrets' names stand in.
std::string RepositoryKey(const BundleSpec& spec, const std::string& access_identity);

// The poll demand of one bundle; `watched_tag` ("" for none) is polled for its digest;
// `cluster` gives the registry Secrets' identity and versions.
::werf::operator_::v1::TrackRepository TrackFor(const BundleSpec& spec, const std::string& watched_tag,
                                                const ClusterFacts& cluster);

// The configuration hash of a converge: everything in the spec that changes what
// werf does, and the values' digest.
std::string ConfigHash(const BundleSpec& spec, const std::string& values_hash);

// The request for `job` (name, kind, tag and digest come from it). Every Secret and
// ConfigMap it names is in the bundle's own namespace.
::werf::operator_::v1::ConvergeRequest ConvergeRequestFor(const BundleSpec& spec,
                                                          const api::ActiveJob& job,
                                                          const std::string& values_hash,
                                                          int64_t generation);

// The Job name for the bundle's sequence-th Job of `kind` (libs/hub/job_name.h).
std::string JobNameFor(const BundleSpec& spec, api::JobKind kind, int64_t sequence,
                       const std::string& tag, const std::string& digest,
                       const std::string& config_hash);

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_REQUESTS_H_
