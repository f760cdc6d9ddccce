#include "services/controller/leadership.h"

#include <utility>

#include "libs/common/logging.h"

namespace werf::controller {

Leadership::Leadership(LeadershipOptions options) : options_(std::move(options)) {
  if (options_.client == nullptr) return;
  kube::LeaderElectionOptions election = options_.election;
  election.on_started_leading = [this] { StartedLeading(); };
  election.on_stopped_leading = [this] { StoppedLeading(); };
  election.on_new_leader = [](const std::string& leader) { common::LogInfo("leader", {{"identity", leader}}); };
  elector_ = std::make_unique<kube::LeaderElector>(options_.client, std::move(election));
}

Leadership::~Leadership() { Stop(); }

absl::Status Leadership::Start() {
  if (elector_ == nullptr) {
    StartedLeading();
    return absl::OkStatus();
  }
  return elector_->Start();
}

void Leadership::BeginShutdown() { stopping_.store(true); }

void Leadership::Stop() {
  BeginShutdown();
  if (elector_ != nullptr) elector_->Stop();  // releases the Lease; idempotent
  leading_.store(false);
}

void Leadership::StartedLeading() {
  if (stopping_.load()) return;
  if (options_.on_started_leading) options_.on_started_leading();
  leading_.store(true);
}

void Leadership::StoppedLeading() {
  leading_.store(false);
  if (stopping_.load()) return;
  common::LogError("leader election lost");
  if (options_.on_lost) options_.on_lost();
}

}  // namespace werf::controller
