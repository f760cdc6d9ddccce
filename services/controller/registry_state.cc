#include "services/controller/registry_state.h"

#include <memory>
#include <utility>
#include <vector>

namespace werf::controller {

namespace pb = ::werf::operator_::v1;

bool RegistryStates::Apply(const pb::RepositoryObservation& observation) {
  absl::MutexLock lock(&mu_);
  RegistryFacts& state = states_[observation.key()];
  const auto recovered = [&state] {
    const bool changed = state.failure.has_value() || state.throttled.has_value();
    state.failure.reset();
    state.throttled.reset();
    state.consecutive_failures = 0;
    return changed;
  };
  switch (observation.change_case()) {
    case pb::RepositoryObservation::kTagsChanged: {
      const std::vector<std::string> listed(observation.tags_changed().tags().begin(),
                                            observation.tags_changed().tags().end());
      bool changed = !state.tags_known || state.tags == nullptr || !state.tags->Equals(listed);
      // An unchanged list keeps its set, and with it the cached choices.
      if (changed) state.tags = std::make_shared<const TagSet>(listed);
      state.tags_known = true;
      changed |= recovered();  // a successful poll
      return changed;
    }
    case pb::RepositoryObservation::kDigestChanged: {
      std::string& digest = state.digests[observation.digest_changed().tag()];
      const bool changed = digest != observation.digest_changed().digest();
      digest = observation.digest_changed().digest();
      return changed;
    }
    case pb::RepositoryObservation::kPollFailed: {
      // A poller counts its own failures; one that just took the repository over
      // starts at 1. The controller's count goes on across such a move: a report
      // that does not continue the count is one more failure.
      const int reported = static_cast<int>(observation.poll_failed().consecutive_failures());
      state.consecutive_failures =
          reported > state.consecutive_failures ? reported : state.consecutive_failures + 1;
      state.failure = observation.poll_failed();
      return true;
    }
    case pb::RepositoryObservation::kPollThrottled:
      // Neither a failure nor a success: the counts stay as they are.
      state.throttled = observation.poll_throttled();
      return true;
    case pb::RepositoryObservation::kPollRecovered:
      return recovered();
    case pb::RepositoryObservation::CHANGE_NOT_SET:
      return false;
  }
  return false;
}

void RegistryStates::NoteEvent(const std::string& key, absl::Time when) {
  absl::MutexLock lock(&mu_);
  std::optional<absl::Time>& last = states_[key].last_event_time;
  if (!last.has_value() || *last < when) last = when;
}

RegistryFacts RegistryStates::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = states_.find(key);
  return it == states_.end() ? RegistryFacts{} : it->second;
}

void RegistryStates::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  states_.erase(key);
}

size_t RegistryStates::size() const {
  absl::MutexLock lock(&mu_);
  return states_.size();
}

}  // namespace werf::controller
