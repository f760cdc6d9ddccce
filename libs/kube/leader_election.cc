#include "libs/kube/leader_election.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/kube/api_error.h"

namespace werf::kube {
namespace {

std::string MicroTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

// client-go's JitterFactor 1.2: retries spread over [retry, 2.2 * retry).
absl::Duration Jittered(absl::Duration base) {
  absl::BitGen random;
  return base + base * absl::Uniform(random, 0.0, 1.2);
}

}  // namespace

namespace {

// Every lease call is bounded by the retry period and not retried inside the
// client: a slow API server must make the leader step down on time, not hold it
// in a request past the moment another candidate may take over.
std::shared_ptr<RestClient> LeaseClient(const std::shared_ptr<RestClient>& client,
                                        const LeaderElectionOptions& options) {
  RestOptions rest;
  rest.timeout = options.retry_period;
  rest.max_retries = 0;
  absl::StatusOr<std::shared_ptr<RestClient>> lease_client =
      RestClient::Create(client->config(), rest);
  return lease_client.ok() ? *lease_client : client;
}

}  // namespace

LeaderElector::LeaderElector(std::shared_ptr<RestClient> client, LeaderElectionOptions options)
    : client_(LeaseClient(client, options)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()) {}

LeaderElector::~LeaderElector() { Stop(); }

absl::Status LeaderElector::Start() {
  if (options_.lease_name.empty() || options_.lease_namespace.empty() ||
      options_.identity.empty()) {
    return absl::InvalidArgumentError("leader election needs a lease name, namespace and identity");
  }
  if (options_.renew_deadline >= options_.lease_duration ||
      options_.retry_period >= options_.renew_deadline) {
    return absl::InvalidArgumentError(
        "leader election timings must satisfy retry period < renew deadline < lease duration");
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void LeaderElector::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stopped_cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

std::string LeaderElector::Leader() const {
  absl::MutexLock lock(&mu_);
  return observed_holder_;
}

bool LeaderElector::SleepUnlessStopped(absl::Duration duration) {
  const absl::Time deadline = clock_.Now() + duration;
  absl::MutexLock lock(&mu_);
  while (!stopped_ && clock_.Now() < deadline) clock_.WaitWithDeadline(&mu_, &stopped_cv_, deadline);
  return !stopped_;
}

void LeaderElector::SetLeading(bool leading) {
  if (leading_.exchange(leading) == leading) return;
  common::LogInfo(leading ? "started leading" : "stopped leading",
                  {{"lease", absl::StrCat(options_.lease_namespace, "/", options_.lease_name)},
                   {"identity", options_.identity}});
  if (leading && options_.on_started_leading) options_.on_started_leading();
  if (!leading && options_.on_stopped_leading) options_.on_stopped_leading();
}

bool LeaderElector::TryAcquireOrRenew() {
  const absl::Time now = clock_.Now();
  const int lease_seconds = static_cast<int>(absl::ToInt64Seconds(options_.lease_duration));
  absl::StatusOr<nlohmann::json> current =
      client_->Get(resources::kLeases, options_.lease_namespace, options_.lease_name);
  if (!current.ok() && !IsApiNotFound(current.status())) {
    common::LogWarning("cannot read the leader lease", {{"error", current.status().ToString()}});
    return false;
  }
  if (!current.ok()) {
    const nlohmann::json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", options_.lease_name}, {"namespace", options_.lease_namespace}}},
        {"spec",
         {{"holderIdentity", options_.identity},
          {"leaseDurationSeconds", lease_seconds},
          {"acquireTime", MicroTime(now)},
          {"renewTime", MicroTime(now)},
          {"leaseTransitions", 0}}}};
    if (!client_->Create(resources::kLeases, options_.lease_namespace, lease).ok()) return false;
    absl::MutexLock lock(&mu_);
    observed_holder_ = options_.identity;
    observed_record_ = lease["spec"].dump();
    observed_at_ = now;
    return true;
  }

  nlohmann::json lease = std::move(*current);
  nlohmann::json& spec = lease["spec"];
  const std::string holder = spec.value("holderIdentity", "");
  const std::string record = spec.dump();
  {
    absl::MutexLock lock(&mu_);
    if (record != observed_record_) {
      observed_record_ = record;
      observed_at_ = now;
    }
    observed_holder_ = holder;
    const int observed_seconds = spec.value("leaseDurationSeconds", lease_seconds);
    const bool valid = now < observed_at_ + absl::Seconds(observed_seconds);
    if (!holder.empty() && holder != options_.identity && valid) return false;
  }
  if (holder == options_.identity) {
    spec["renewTime"] = MicroTime(now);
  } else {
    spec["holderIdentity"] = options_.identity;
    spec["acquireTime"] = MicroTime(now);
    spec["renewTime"] = MicroTime(now);
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  spec["leaseDurationSeconds"] = lease_seconds;
  // The resourceVersion in `lease` makes this a compare-and-swap: of two candidates
  // racing for an expired lease, one gets a Conflict.
  absl::StatusOr<nlohmann::json> updated =
      client_->Update(resources::kLeases, options_.lease_namespace, lease);
  if (!updated.ok()) {
    if (!IsApiConflict(updated.status())) {
      common::LogWarning("cannot update the leader lease",
                         {{"error", updated.status().ToString()}});
    }
    return false;
  }
  absl::MutexLock lock(&mu_);
  observed_holder_ = options_.identity;
  observed_record_ = (*updated)["spec"].dump();
  observed_at_ = now;
  return true;
}

void LeaderElector::Release() {
  absl::StatusOr<nlohmann::json> current =
      client_->Get(resources::kLeases, options_.lease_namespace, options_.lease_name);
  if (!current.ok() || (*current)["spec"].value("holderIdentity", "") != options_.identity) return;
  nlohmann::json lease = std::move(*current);
  // As client-go does: an empty holder with a 1 s lease lets a successor in at once.
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = MicroTime(clock_.Now());
  if (absl::Status released =
          client_->Update(resources::kLeases, options_.lease_namespace, lease).status();
      !released.ok()) {
    common::LogWarning("cannot release the leader lease", {{"error", released.ToString()}});
  }
}

void LeaderElector::Run() {
  std::string last_leader;
  const auto report_leader = [&] {
    const std::string leader = Leader();
    if (leader != last_leader) {
      last_leader = leader;
      if (options_.on_new_leader) options_.on_new_leader(leader);
    }
  };
  while (true) {
    // Campaign.
    while (!TryAcquireOrRenew()) {
      report_leader();
      if (!SleepUnlessStopped(Jittered(options_.retry_period))) return;
    }
    report_leader();
    SetLeading(true);

    // Lead: renew every retry period; step down when no renewal succeeded in time.
    absl::Time last_renew = clock_.Now();
    bool stopping = false;
    while (true) {
      if (!SleepUnlessStopped(options_.retry_period)) {
        stopping = true;
        break;
      }
      if (TryAcquireOrRenew()) {
        last_renew = clock_.Now();
        continue;
      }
      if (clock_.Now() - last_renew >= options_.renew_deadline) break;
    }
    SetLeading(false);
    report_leader();
    if (stopping) {
      if (options_.release_on_stop) Release();
      return;
    }
  }
}

}  // namespace werf::kube
