// The push-to-Job latency benchmark (issue 17; not a test): how long after a tag is pushed
// to the test bed's CNCF distribution registry the bundle's werf Job exists.
//
//   webhook: the registry's own notification reaches the poller's receiver, the hub routes
//            it to the owning poller, which polls now. The bundle polls every 15 minutes, so
//            anything quicker than that is the webhook's doing.
//   poll-only: the same with the receiver off and a 1-minute poll interval, each push at a
//            random moment of the interval: the latency is what is left of the interval
//            (expected p50 = interval / 2).
//
// Both phases push one tag at a time and wait for the deploy to finish before the next, so
// each latency is one push's. Times are taken from before the push command starts (crane's
// own push time is included and printed) to the moment a Job watch (`kubectl get jobs
// --watch-only`) delivers the Job. Prints a table and writes a JSON report.
//
//   cmake --build build --target bench-webhook      # WERF_BENCH_PUSHES (50), WERF_BENCH_POLL_PUSHES (5)
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/common/status_context.h"
#include "nlohmann/json.hpp"
#include "test/integration/e2e/operator_system.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/crd.h"
#include "test/support/test_namespace.h"

namespace werf::e2e {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  int parsed = 0;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) && parsed > 0 ? parsed : fallback;
}

// Records when each new Job of a namespace is delivered by a watch (a kubectl child).
class JobWatch {
 public:
  static absl::StatusOr<std::unique_ptr<JobWatch>> Start(const std::string& ns) {
    // The shell says its pid, then becomes kubectl: the pid to stop the watch with.
    const std::string command =
        absl::StrCat("echo $$; exec kubectl get jobs -n ", ns, " --watch-only -o name 2>/dev/null");
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return absl::InternalError("cannot start kubectl get jobs --watch-only");
    char line[64];
    pid_t pid = 0;
    if (std::fgets(line, sizeof(line), pipe) == nullptr ||
        !absl::SimpleAtoi(absl::StripTrailingAsciiWhitespace(line), &pid)) {
      pclose(pipe);
      return absl::InternalError("kubectl get jobs --watch-only did not start");
    }
    auto watch = std::unique_ptr<JobWatch>(new JobWatch(pipe, pid));
    watch->reader_ = std::thread([w = watch.get()] { w->Read(); });
    return watch;
  }
  ~JobWatch() {
    // A watch never ends by itself: stop kubectl, then its pipe closes and the reader ends.
    kill(pid_, SIGTERM);
    if (reader_.joinable()) reader_.join();
    pclose(pipe_);
  }

  // When the first Job not yet in `known` arrived, waiting up to `timeout`.
  absl::StatusOr<absl::Time> WaitForNewJob(size_t known, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto arrived = [&] { return arrivals_.size() > known; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout)) {
      return absl::DeadlineExceededError("no new Job within the timeout");
    }
    return arrivals_[known];
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return arrivals_.size();
  }

 private:
  JobWatch(FILE* pipe, pid_t pid) : pipe_(pipe), pid_(pid) {}
  void Read() {
    char line[512];
    while (std::fgets(line, sizeof(line), pipe_) != nullptr) {
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&mu_);
      // A watch also reports updates (status changes) of known Jobs: count names once.
      const std::string name(absl::StripTrailingAsciiWhitespace(line));
      bool seen = false;
      for (const std::string& n : names_) seen = seen || n == name;
      if (seen) continue;
      names_.push_back(name);
      arrivals_.push_back(now);
    }
  }

  FILE* pipe_;
  const pid_t pid_;
  std::thread reader_;
  absl::Mutex mu_;
  std::vector<std::string> names_;
  std::vector<absl::Time> arrivals_;
};

struct Sample {
  absl::Duration push;     // crane's push
  absl::Duration latency;  // push start -> Job delivered by the watch
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5));
  return values[index];
}

struct PhaseResult {
  std::string name;
  absl::Duration interval;
  std::vector<Sample> samples{};

  nlohmann::json ToJson() const {
    std::vector<double> latency, push;
    for (const Sample& s : samples) {
      latency.push_back(absl::ToDoubleMilliseconds(s.latency));
      push.push_back(absl::ToDoubleMilliseconds(s.push));
    }
    return {{"phase", name},
            {"poll_interval_s", absl::ToInt64Seconds(interval)},
            {"pushes", samples.size()},
            {"latency_ms", {{"p50", Percentile(latency, 0.5)}, {"p99", Percentile(latency, 0.99)},
                            {"max", Percentile(latency, 1.0)}}},
            {"push_ms_p50", Percentile(push, 0.5)}};
  }
};

class Bench {
 public:
  absl::Status SetUp() {
    if (absl::StatusOr<const testbed::TestbedEnv*> env = testbed::EnsureTestbed(); !env.ok()) return env.status();
    if (absl::Status crd = test_support::InstallWerfBundleCrd(); !crd.ok()) return crd;
    absl::StatusOr<testbed::Registry> registry = testbed::GetRegistry(testbed::RegistryFlavour::kAnonymous);
    if (!registry.ok()) return registry.status();
    registry_ = *registry;
    namespace_ = std::make_unique<test_support::ScopedNamespace>("bench-webhook");
    if (!namespace_->ok()) return namespace_->status();
    ns_ = namespace_->name();
    return testbed::Kubectl({"-n", ns_, "create", "serviceaccount", "deployer"}).status();
  }
  void TearDown() {
    (void)testbed::Kubectl({"-n", ns_, "delete", "werfbundles", "--all", "--timeout=30s"});
    namespace_.reset();  // deletes it, without waiting
  }

  absl::StatusOr<PhaseResult> Run(const std::string& phase, bool webhooks, absl::Duration interval, int pushes) {
    SystemOptions options{.gateway = false, .controller_flags = {absl::StrCat("--watch_namespace=", ns_)}};
    const std::string address = testbed::Env().Value("WERF_TESTBED_WEBHOOK_ADDRESS");
    if (webhooks) {
      if (address.empty()) return absl::FailedPreconditionError("the test bed has no webhook address; testbed down, up");
      options.poller_flags = {"--webhook_address=" + address, "--webhook_qps=1000", "--webhook_burst=100000"};
      absl::Status secret = testbed::ApplyYaml(absl::StrCat(
          "apiVersion: v1\nkind: Secret\nmetadata: {name: werf-operator-webhooks, namespace: werf-operator-system}\n"
          "stringData:\n  distribution: ", testbed::Env().Value("WERF_TESTBED_WEBHOOK_TOKEN"), "\n"));
      if (!secret.ok()) return secret;
    }
    absl::StatusOr<std::unique_ptr<OperatorSystem>> system = OperatorSystem::Start(std::move(options));
    if (!system.ok()) return system.status();

    const std::string bundle = phase;
    const std::string repository = absl::StrCat("bench/", ns_, "-", phase);
    if (absl::Status pushed = testbed::PushTags(registry_, repository, {"1.0.0"}); !pushed.ok()) return pushed;
    absl::StatusOr<std::unique_ptr<JobWatch>> watch = JobWatch::Start(ns_);
    if (!watch.ok()) return watch.status();
    absl::Status applied = testbed::ApplyYaml(absl::StrCat(
        "apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata: {name: ", bundle, ", namespace: ", ns_,
        "}\nspec:\n  registry:\n    url: ", registry_.host, "/", repository, "\n    insecure: true\n    pollInterval: ",
        absl::ToInt64Seconds(interval), "s\n  converge:\n    serviceAccountName: deployer\n"));
    if (!applied.ok()) return applied;
    if (absl::Status synced = WaitTag(bundle, "1.0.0"); !synced.ok()) return synced;

    PhaseResult result{.name = phase, .interval = interval};
    absl::BitGen random;
    for (int i = 1; i <= pushes; ++i) {
      const std::string tag = absl::StrCat("1.", i, ".0");
      // Without a receiver a push waits for the next poll. Each deploy ends just after a
      // poll, so pushing at once would always wait a whole interval: push at a uniformly
      // random moment of it instead, as a release would.
      if (!webhooks) absl::SleepFor(interval * absl::Uniform(random, 0.0, 1.0));
      const size_t known = (*watch)->count();
      const absl::Time start = absl::Now();
      if (absl::Status pushed = testbed::PushTags(registry_, repository, {tag}); !pushed.ok()) return pushed;
      const absl::Time pushed_at = absl::Now();
      absl::StatusOr<absl::Time> job = (*watch)->WaitForNewJob(known, interval + absl::Seconds(30));
      if (!job.ok()) return common::WithContext(job.status(), absl::StrCat("push of ", tag));
      result.samples.push_back({.push = pushed_at - start, .latency = *job - start});
      std::cerr << absl::StrFormat("[%s] %s: Job after %.0f ms (push %.0f ms)\n", phase, tag,
                                   absl::ToDoubleMilliseconds(*job - start),
                                   absl::ToDoubleMilliseconds(pushed_at - start));
      if (absl::Status synced = WaitTag(bundle, tag); !synced.ok()) return synced;
    }
    (void)testbed::Kubectl({"-n", ns_, "delete", "werfbundle", bundle, "--timeout=30s"});
    return result;
  }

 private:
  absl::Status WaitTag(const std::string& bundle, const std::string& tag) {
    absl::StatusOr<std::string> got = testbed::WaitForJsonPath({"werfbundle", bundle, ns_}, "{.status.lastAppliedTag}",
                                                               tag, absl::Seconds(120));
    return got.status();
  }

  testbed::Registry registry_;
  std::unique_ptr<test_support::ScopedNamespace> namespace_;
  std::string ns_;
};

int Main() {
  const int pushes = EnvInt("WERF_BENCH_PUSHES", 50);
  const int poll_pushes = EnvInt("WERF_BENCH_POLL_PUSHES", 5);
  Bench bench;
  if (absl::Status s = bench.SetUp(); !s.ok()) {
    std::cerr << "bench-webhook: " << s << "\n";
    return 1;
  }
  std::vector<PhaseResult> results;
  for (const auto& [phase, webhooks, interval, n] :
       {std::tuple{"webhook", true, absl::Minutes(15), pushes}, std::tuple{"poll-only", false, absl::Minutes(1), poll_pushes}}) {
    absl::StatusOr<PhaseResult> result = bench.Run(phase, webhooks, interval, n);
    if (!result.ok()) {
      std::cerr << "bench-webhook: " << phase << ": " << result.status() << "\n";
      bench.TearDown();
      return 1;
    }
    results.push_back(*std::move(result));
  }
  bench.TearDown();

  nlohmann::json report = nlohmann::json::array();
  std::cout << absl::StrFormat("%-10s %9s %7s %9s %9s %9s %9s\n", "phase", "interval", "pushes", "p50 ms", "p99 ms",
                               "max ms", "push ms");
  for (const PhaseResult& r : results) {
    const nlohmann::json j = r.ToJson();
    report.push_back(j);
    std::cout << absl::StrFormat("%-10s %8ds %7d %9.0f %9.0f %9.0f %9.0f\n", r.name, absl::ToInt64Seconds(r.interval),
                                 static_cast<int>(r.samples.size()), j["latency_ms"]["p50"].get<double>(),
                                 j["latency_ms"]["p99"].get<double>(), j["latency_ms"]["max"].get<double>(),
                                 j["push_ms_p50"].get<double>());
  }
  std::cout << "target: webhook p99 <= 2000 ms; poll-only expected p50 = interval/2, p99 ~ interval "
               "(at 15 min: 450 s / 891 s)\n";
  const char* file = std::getenv("WERF_BENCH_REPORT");
  std::ofstream(file != nullptr ? file : "webhook_latency_report.json") << report.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace werf::e2e

int main() { return werf::e2e::Main(); }
