// What the pollers told the controller about each tracked repository. Soft state:
// after a restart the pollers report every repository again on assignment.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_REGISTRY_STATE_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_REGISTRY_STATE_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/controller/decide.h"
#include "werf/operator/v1/hub.pb.h"

namespace werf::controller {

class RegistryStates {
 public:
  // Applies an observation; returns true when anything changed.
  bool Apply(const ::werf::operator_::v1::RepositoryObservation& observation);
  // A webhook event named the repository of `key` at `when`; the latest is kept.
  void NoteEvent(const std::string& key, absl::Time when);
  RegistryFacts Get(const std::string& key) const;
  // No bundle wants the repository any more.
  void Forget(const std::string& key);
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, RegistryFacts> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_REGISTRY_STATE_H_
