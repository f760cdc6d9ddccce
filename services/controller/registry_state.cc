#include "services/controller/registry_state.h"

namespace werf::controller {

namespace pb = ::werf::operator_::v1;

bool RegistryStates::Apply(const pb::RepositoryObservation& observation) {
  absl::MutexLock lock(&mu_);
  RepositoryState& state = states_[observation.key()];
  switch (observation.change_case()) {
    case pb::RepositoryObservation::kTagsChanged: {
      std::vector<std::string> tags(observation.tags_changed().tags().begin(),
                                    observation.tags_changed().tags().end());
      const bool changed = !state.tags_known || tags != state.tags;
      state.tags = std::move(tags);
      state.tags_known = true;
      state.failure.reset();  // a successful poll
      return changed;
    }
    case pb::RepositoryObservation::kDigestChanged: {
      std::string& digest = state.digests[observation.digest_changed().tag()];
      const bool changed = digest != observation.digest_changed().digest();
      digest = observation.digest_changed().digest();
      return changed;
    }
    case pb::RepositoryObservation::kPollFailed:
      state.failure = observation.poll_failed();
      return true;
    case pb::RepositoryObservation::kPollRecovered: {
      const bool changed = state.failure.has_value();
      state.failure.reset();
      return changed;
    }
    case pb::RepositoryObservation::CHANGE_NOT_SET:
      return false;
  }
  return false;
}

RepositoryState RegistryStates::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = states_.find(key);
  return it == states_.end() ? RepositoryState{} : it->second;
}

void RegistryStates::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  states_.erase(key);
}

}  // namespace werf::controller
