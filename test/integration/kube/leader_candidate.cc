// A leader-election candidate for leader_election_test: runs werf::kube::LeaderElector on a
// Lease and prints one JSON line per transition, with the wall-clock time in microseconds:
//   {"event":"started_leading","identity":"a","unix_micros":...}
// Events: ready, new_leader (with "leader"), started_leading, stopped_leading, exiting.
// SIGTERM or SIGINT stops it gracefully: it stops leading, releases the lease, prints
// "exiting" and exits 0.
//
//   leader_candidate --kubeconfig=PATH --namespace=NS --lease=NAME --identity=ID
//                    [--lease_duration=15s --renew_deadline=10s --retry_period=2s]
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/leader_election.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"

namespace {

absl::Mutex output_mu;

void Emit(const std::string& event, const std::string& identity, const std::string& leader = "") {
  nlohmann::json line = {{"event", event}, {"identity", identity}, {"unix_micros", absl::ToUnixMicros(absl::Now())}};
  if (!leader.empty()) line["leader"] = leader;
  absl::MutexLock lock(&output_mu);
  std::fputs((line.dump() + "\n").c_str(), stdout);
  std::fflush(stdout);
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "leader_candidate: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags = {
      {"kubeconfig", ""}, {"namespace", ""},         {"lease", ""},           {"identity", ""},
      {"lease_duration", "15s"}, {"renew_deadline", "10s"}, {"retry_period", "2s"}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t equals = arg.find('=');
    if (!absl::StartsWith(arg, "--") || equals == std::string::npos || !flags.count(arg.substr(2, equals - 2))) {
      return Fail("unknown argument " + arg);
    }
    flags[arg.substr(2, equals - 2)] = arg.substr(equals + 1);
  }
  werf::kube::LeaderElectionOptions options;
  options.lease_namespace = flags["namespace"];
  options.lease_name = flags["lease"];
  options.identity = flags["identity"];
  if (!absl::ParseDuration(flags["lease_duration"], &options.lease_duration) ||
      !absl::ParseDuration(flags["renew_deadline"], &options.renew_deadline) ||
      !absl::ParseDuration(flags["retry_period"], &options.retry_period)) {
    return Fail("the timings must be durations such as 15s");
  }
  const std::string identity = options.identity;
  options.on_started_leading = [identity] { Emit("started_leading", identity); };
  options.on_stopped_leading = [identity] { Emit("stopped_leading", identity); };
  options.on_new_leader = [identity](const std::string& leader) { Emit("new_leader", identity, leader); };

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<werf::kube::ClusterConfig> config = werf::kube::LoadKubeconfig(flags["kubeconfig"]);
  if (!config.ok()) return Fail(config.status().ToString());
  absl::StatusOr<std::shared_ptr<werf::kube::RestClient>> client = werf::kube::RestClient::Create(*config);
  if (!client.ok()) return Fail(client.status().ToString());

  werf::kube::LeaderElector elector(*client, options);
  if (absl::Status started = elector.Start(); !started.ok()) return Fail(started.ToString());
  Emit("ready", identity);

  int received = 0;
  sigwait(&signals, &received);
  elector.Stop();
  Emit("exiting", identity);
  return 0;
}
