// What the pollers told the controller about each tracked repository. Soft state:
// after a restart the pollers report every repository again on assignment.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_REGISTRY_STATE_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_REGISTRY_STATE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::controller {

struct RepositoryState {
  bool tags_known = false;
  std::vector<std::string> tags;
  std::map<std::string, std::string> digests;  // watched tag -> digest
  std::optional<::werf::operator_::v1::PollFailed> failure;  // set while polls fail
};

class RegistryStates {
 public:
  // Applies an observation; returns true when anything changed.
  bool Apply(const ::werf::operator_::v1::RepositoryObservation& observation);
  RepositoryState Get(const std::string& key) const;
  void Forget(const std::string& key);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, RepositoryState> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_REGISTRY_STATE_H_
