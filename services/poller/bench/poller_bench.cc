// poller_bench: what one poll cycle over many repositories costs.
//
// Against the test bed's anonymous distribution v3 registry it creates (or
// reuses) N one-tag repositories, then for each scenario starts the real hub
// (HubServiceImpl behind a GrpcServer on 127.0.0.1:0) and a real Poller in this
// process, assigns all N repositories, and measures the initial cycle and one
// steady-state cycle in which nothing changed: registry requests, bytes
// received, CPU seconds (ours by getrusage, the registry's from /proc), wall
// time, observations reported to the hub, peak RSS. Prints a JSON report.
//
//   cmake --build build --target bench-poller      # N = 10,000: about 2.5 minutes, plus about
//                                                  # 40 s the first time to create the repositories
//   build/services/poller/poller_bench --repositories=1000 --poll_interval=20s
//
// Flags may also come from WERF_<FLAG> environment variables (WERF_REPOSITORIES=...).
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/flags.h"
#include "libs/common/grpc_server.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "libs/http/curl_http_client.h"
#include "libs/hub/hub_service.h"
#include "libs/oci/registry_client.h"
#include "nlohmann/json.hpp"
#include "prometheus/registry.h"
#include "test/bench/process_stats.h"
#include "test/bench/registry_populator.h"
#include "services/poller/metrics.h"
#include "services/poller/poller.h"
#include "test/integration/testbed/testbed_support.h"

ABSL_FLAG(int, repositories, 10000, "repositories to create (or reuse) and poll");
ABSL_FLAG(absl::Duration, poll_interval, absl::Seconds(60),
          "poll interval of every repository; must exceed the initial cycle's duration by far");
ABSL_FLAG(int, max_concurrent_polls, 10, "the poller's --max_concurrent_polls (its default is 10)");
ABSL_FLAG(double, registry_qps, 100000,
          "the poller's per-registry budget; high so that it does not throttle the benchmark "
          "(the service's default of 5 would stretch one cycle over N/5 seconds)");
ABSL_FLAG(int, registry_burst, 1000, "the poller's per-registry burst");
ABSL_FLAG(int, populate_threads, 8, "concurrent connections used to create the repositories");
ABSL_FLAG(std::string, scenarios, "tags,watched_tag",
          "comma-separated: tags (no watched tags: a tag list per poll), watched_tag (one watched "
          "tag per repository: a tag list and a manifest HEAD per poll)");
ABSL_FLAG(absl::Duration, cycle_timeout, absl::Minutes(20), "give up on a cycle after this long");
ABSL_FLAG(std::string, report_file, "", "also write the JSON report here");
ABSL_FLAG(bool, verbose, false, "log at info level (the poller logs every assignment)");

namespace werf::poller::bench {
namespace {

namespace pb = ::werf::operator_::v1;
using nlohmann::json;
using ::werf::bench::BenchRepositoryName;
using ::werf::bench::CpuTimes;
using ::werf::bench::LoadAverage;
using ::werf::bench::MachineDescription;
using ::werf::bench::PidFromTestbedRecord;
using ::werf::bench::PopulateRegistry;
using ::werf::bench::PopulateResult;
using ::werf::bench::ProcessCpu;
using ::werf::bench::ResetPeakRss;
using ::werf::bench::SelfCpu;
using ::werf::bench::SelfStatusBytes;

constexpr absl::string_view kTag = "1.0.0";
constexpr absl::string_view kPrefix = "werf-bench/";

// Wraps the real transport to count every HTTP exchange of the registry client,
// the bytes that came back and which repository each was for.
class CountingTransport final : public http::HttpClient {
 public:
  struct Totals {
    int64_t get = 0;
    int64_t head = 0;
    int64_t other = 0;
    int64_t failed = 0;  // no HTTP response (e.g. the https attempt of an insecure registry)
    int64_t bytes = 0;   // headers and bodies, as the transport counts them
    int64_t body_bytes = 0;
    absl::flat_hash_map<std::string, int> by_repository;
  };

  explicit CountingTransport(std::shared_ptr<http::HttpClient> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<http::HttpResponse> Send(const http::HttpRequest& request) override {
    absl::StatusOr<http::HttpResponse> response = inner_->Send(request);
    const std::string repository = RepositoryOf(request.url);
    absl::MutexLock lock(&mu_);
    if (request.method == "GET") {
      ++totals_.get;
    } else if (request.method == "HEAD") {
      ++totals_.head;
    } else {
      ++totals_.other;
    }
    if (response.ok()) {
      totals_.bytes += response->bytes_received;
      totals_.body_bytes += static_cast<int64_t>(response->body.size());
    } else {
      ++totals_.failed;
    }
    ++totals_.by_repository[repository];
    return response;
  }

  Totals Snapshot() const {
    absl::MutexLock lock(&mu_);
    return totals_;
  }

 private:
  // "<scheme>://host/v2/<repository>/tags/list?..." or ".../manifests/<tag>".
  static std::string RepositoryOf(absl::string_view url) {
    const size_t v2 = url.find("/v2/");
    if (v2 == absl::string_view::npos) return std::string(url);
    absl::string_view path = url.substr(v2 + 4);
    for (absl::string_view end : {"/tags/list", "/manifests/"}) {
      if (const size_t at = path.find(end); at != absl::string_view::npos) return std::string(path.substr(0, at));
    }
    return std::string(path);
  }

  const std::shared_ptr<http::HttpClient> inner_;
  mutable absl::Mutex mu_;
  Totals totals_ ABSL_GUARDED_BY(mu_);
};

// What the hub heard from the poller, checked against what the registry holds.
class ObservationLog {
 public:
  explicit ObservationLog(std::string manifest_digest) : manifest_digest_(std::move(manifest_digest)) {}

  void Record(const pb::RepositoryObservation& observation) {
    absl::MutexLock lock(&mu_);
    switch (observation.change_case()) {
      case pb::RepositoryObservation::kTagsChanged: {
        ++counts_["tags_changed"];
        const auto& tags = observation.tags_changed().tags();
        if (tags.size() != 1 || tags[0] != kTag) ++counts_["wrong_tag_list"];
        break;
      }
      case pb::RepositoryObservation::kDigestChanged:
        ++counts_["digest_changed"];
        if (observation.digest_changed().digest() != manifest_digest_) ++counts_["wrong_digest"];
        break;
      case pb::RepositoryObservation::kPollFailed:
        ++counts_["poll_failed"];
        if (first_failure_.empty()) first_failure_ = observation.poll_failed().message();
        break;
      case pb::RepositoryObservation::kPollRecovered: ++counts_["poll_recovered"]; break;
      case pb::RepositoryObservation::kPollThrottled: ++counts_["poll_throttled"]; break;
      case pb::RepositoryObservation::CHANGE_NOT_SET: ++counts_["empty"]; break;
    }
    ++counts_["total"];
  }

  std::map<std::string, int64_t> Counts() const {
    absl::MutexLock lock(&mu_);
    return counts_;
  }
  std::string FirstFailure() const {
    absl::MutexLock lock(&mu_);
    return first_failure_;
  }

 private:
  const std::string manifest_digest_;
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::string first_failure_ ABSL_GUARDED_BY(mu_);
};

double PollCount() {
  return PollerMetrics().polls.Add({{"result", "success"}}).Value() +
         PollerMetrics().polls.Add({{"result", "failure"}}).Value();
}

// Everything measured, at one instant; a cycle is the difference of two.
struct Snapshot {
  absl::Time at = absl::InfinitePast();
  CpuTimes cpu{};
  std::optional<CpuTimes> registry_cpu{};
  CountingTransport::Totals transport{};
  std::map<std::string, double> requests_by_code{};
  double latency_sum_seconds = 0;
  double latency_count = 0;
  double not_modified = 0;
  double polls = 0;
  double budget_waits = 0;
  std::map<std::string, int64_t> observations{};
};

class Measurer {
 public:
  Measurer(const prometheus::Registry& metrics, const CountingTransport& transport,
           const ObservationLog& observations, std::optional<pid_t> registry_pid)
      : metrics_(metrics), transport_(transport), observations_(observations), registry_pid_(registry_pid) {}

  Snapshot Take() const {
    Snapshot snapshot;
    snapshot.at = absl::Now();
    snapshot.cpu = SelfCpu();
    if (registry_pid_.has_value()) snapshot.registry_cpu = ProcessCpu(*registry_pid_);
    snapshot.transport = transport_.Snapshot();
    for (const prometheus::MetricFamily& family : metrics_.Collect()) {
      for (const prometheus::ClientMetric& metric : family.metric) {
        if (family.name == "werf_operator_registry_requests_total") {
          for (const prometheus::ClientMetric::Label& label : metric.label) {
            if (label.name == "code") snapshot.requests_by_code[label.value] += metric.counter.value;
          }
        } else if (family.name == "werf_operator_registry_request_duration_seconds") {
          snapshot.latency_sum_seconds += metric.histogram.sample_sum;
          snapshot.latency_count += static_cast<double>(metric.histogram.sample_count);
        } else if (family.name == "werf_operator_registry_not_modified_total") {
          snapshot.not_modified += metric.counter.value;
        }
      }
    }
    snapshot.polls = PollCount();
    snapshot.budget_waits = PollerMetrics().budget_waits.Value();
    snapshot.observations = observations_.Counts();
    return snapshot;
  }

 private:
  const prometheus::Registry& metrics_;
  const CountingTransport& transport_;
  const ObservationLog& observations_;
  const std::optional<pid_t> registry_pid_;
};

double Round(double value, int digits = 3) {
  double scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  return static_cast<double>(static_cast<int64_t>(value * scale + (value >= 0 ? 0.5 : -0.5))) / scale;
}

// The cycle between two snapshots, in which `repositories` repositories were polled.
json DescribeCycle(const Snapshot& from, const Snapshot& to, int repositories) {
  const double n = std::max(1, repositories);
  const CountingTransport::Totals& a = from.transport;
  const CountingTransport::Totals& b = to.transport;
  const int64_t requests = (b.get - a.get) + (b.head - a.head) + (b.other - a.other);
  int distinct = 0;
  int max_per_repository = 0;
  int min_per_repository = std::numeric_limits<int>::max();
  for (const auto& [repository, count] : b.by_repository) {
    auto before = a.by_repository.find(repository);
    const int in_cycle = count - (before == a.by_repository.end() ? 0 : before->second);
    if (in_cycle <= 0) continue;
    ++distinct;
    max_per_repository = std::max(max_per_repository, in_cycle);
    min_per_repository = std::min(min_per_repository, in_cycle);
  }
  json by_code = json::object();
  for (const auto& [code, value] : to.requests_by_code) {
    auto before = from.requests_by_code.find(code);
    const double delta = value - (before == from.requests_by_code.end() ? 0 : before->second);
    if (delta > 0) by_code[code] = static_cast<int64_t>(delta);
  }
  json observations = json::object();
  for (const auto& [kind, value] : to.observations) {
    auto before = from.observations.find(kind);
    const int64_t delta = value - (before == from.observations.end() ? 0 : before->second);
    if (delta > 0 || kind == "total") observations[kind] = delta;
  }
  const CpuTimes cpu = to.cpu - from.cpu;
  const double latency_count = to.latency_count - from.latency_count;
  json cycle = {
      {"polls", static_cast<int64_t>(to.polls - from.polls)},
      {"requests", requests},
      {"requests_per_repository", Round(static_cast<double>(requests) / n, 4)},
      {"requests_by_method", {{"GET", b.get - a.get}, {"HEAD", b.head - a.head}, {"other", b.other - a.other}}},
      {"requests_by_code", by_code},
      {"requests_without_response", b.failed - a.failed},
      {"repositories_requested", distinct},
      {"requests_per_requested_repository",
       {{"min", distinct == 0 ? 0 : min_per_repository}, {"max", max_per_repository}}},
      {"not_modified_304", static_cast<int64_t>(to.not_modified - from.not_modified)},
      {"bytes_received", b.bytes - a.bytes},
      {"bytes_received_per_repository", Round(static_cast<double>(b.bytes - a.bytes) / n, 1)},
      {"body_bytes_received", b.body_bytes - a.body_bytes},
      {"mean_request_latency_ms",
       latency_count > 0 ? Round((to.latency_sum_seconds - from.latency_sum_seconds) / latency_count * 1000) : 0},
      {"cpu_seconds", Round(cpu.total())},
      {"cpu_user_seconds", Round(cpu.user_seconds)},
      {"cpu_system_seconds", Round(cpu.system_seconds)},
      {"cpu_microseconds_per_repository", Round(cpu.total() / n * 1e6, 1)},
      {"observations_to_hub", observations},
      {"budget_waits", static_cast<int64_t>(to.budget_waits - from.budget_waits)},
  };
  if (from.registry_cpu.has_value() && to.registry_cpu.has_value()) {
    cycle["registry_cpu_seconds"] = Round((*to.registry_cpu - *from.registry_cpu).total());
  }
  return cycle;
}

struct Scenario {
  std::string name;
  bool watch_tag = false;
};

struct BenchSetup {
  testbed::Registry registry;
  std::string manifest_digest;
  std::optional<pid_t> registry_pid;
  int repositories = 0;
  absl::Duration poll_interval;
  absl::Duration cycle_timeout;
  PollerOptions poller_options;
};

// Waits until `done` holds, checking every 10 ms; false on timeout.
template <typename Condition>
bool WaitUntil(Condition done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Lets observations of the last polls reach the hub: until the count stays put for 1 s.
void SettleObservations(const ObservationLog& observations) {
  int64_t last = -1;
  int quiet = 0;
  for (int i = 0; i < 200 && quiet < 10; ++i) {
    const auto counts = observations.Counts();
    const int64_t total = counts.contains("total") ? counts.at("total") : 0;
    quiet = total == last ? quiet + 1 : 0;
    last = total;
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::StatusOr<json> RunScenario(const Scenario& scenario, const BenchSetup& setup) {
  const int n = setup.repositories;
  json report = {{"name", scenario.name},
                 {"watched_tags_per_repository", scenario.watch_tag ? 1 : 0},
                 {"target_requests_per_repository", scenario.watch_tag ? 2 : 1}};
  json warnings = json::array();
  // Hand heap freed by an earlier scenario back to the kernel, so this one's peak is its own.
  malloc_trim(0);
  const int64_t rss_before = SelfStatusBytes("VmRSS");
  const bool peak_reset = ResetPeakRss();

  prometheus::Registry metrics;
  auto transport = std::make_shared<CountingTransport>(std::make_shared<http::CurlHttpClient>());
  oci::RegistryClientOptions client_options;
  client_options.transport = transport;
  client_options.metrics = &metrics;
  ASSIGN_OR_RETURN(std::unique_ptr<oci::RegistryClient> client, oci::RegistryClient::Create(std::move(client_options)));

  ObservationLog observations(setup.manifest_digest);
  hub::HubServiceImpl hub(
      {.controller_id = "poller-bench"},
      {.on_repository = [&observations](const pb::RepositoryObservation& o) { observations.Record(o); }});
  ASSIGN_OR_RETURN(std::unique_ptr<common::GrpcServer> server,
                   common::GrpcServer::Start({.address = "127.0.0.1:0", .services = {&hub}}));

  std::map<std::string, pb::TrackRepository> repositories;
  for (int i = 0; i < n; ++i) {
    pb::TrackRepository track;
    track.set_repository(absl::StrCat(setup.registry.host, "/", BenchRepositoryName(kPrefix, i)));
    // As the controller keys an insecure (plain HTTP allowed) repository without credentials.
    track.set_key(absl::StrCat(track.repository(), "!insecure"));
    track.mutable_access()->set_insecure(true);
    *track.mutable_poll_interval() = google::protobuf::util::TimeUtil::MillisecondsToDuration(
        absl::ToInt64Milliseconds(setup.poll_interval));
    if (scenario.watch_tag) track.add_watched_tags(std::string(kTag));
    repositories.emplace(track.key(), std::move(track));
  }
  hub.SetRepositories(std::move(repositories));
  hub.SetServing(true);

  PollerOptions poller_options = setup.poller_options;
  poller_options.controller_address = server->address().ToString();
  auto poller = std::make_unique<Poller>(poller_options, std::make_unique<hub::RegistryAccessReader>(nullptr),
                                         std::move(client));
  const Measurer measurer(metrics, *transport, observations, setup.registry_pid);
  const double polls_at_start = PollCount();
  auto polls = [&] { return PollCount() - polls_at_start; };

  // Initial cycle: connect, receive N assignments, poll each once, report everything once.
  const Snapshot start = measurer.Take();
  RETURN_IF_ERROR(poller->Start());
  absl::Status outcome = absl::OkStatus();
  WaitUntil([&] { return polls() > 0; }, setup.cycle_timeout);
  const absl::Time initial_first_poll = absl::Now();
  if (!WaitUntil([&] { return polls() >= n; }, setup.cycle_timeout)) {
    outcome = absl::DeadlineExceededError(absl::StrCat(scenario.name, ": initial cycle: ", polls(), " of ", n,
                                                       " polls after ", absl::FormatDuration(setup.cycle_timeout)));
  }
  const absl::Time initial_last_poll = absl::Now();
  SettleObservations(observations);
  const Snapshot initial_end = measurer.Take();
  json initial = DescribeCycle(start, initial_end, n);
  const double initial_wall = absl::ToDoubleSeconds(initial_last_poll - start.at);
  const double polling_wall = absl::ToDoubleSeconds(initial_last_poll - initial_first_poll);
  initial["wall_seconds"] = Round(initial_wall);
  // Dial, hello/welcome and the N assignments arriving, until the first poll finished.
  initial["wall_seconds_to_first_poll"] = Round(absl::ToDoubleSeconds(initial_first_poll - start.at));
  initial["polls_per_second_first_to_last_poll"] = Round(n / std::max(polling_wall, 1e-9), 1);
  report["initial_cycle"] = initial;
  if (initial_wall > 0.8 * absl::ToDoubleSeconds(setup.poll_interval)) {
    warnings.push_back("the initial cycle took more than 80 % of the poll interval, so cycles overlap; "
                       "raise --poll_interval");
  }

  // Steady state: the schedule brings every repository round again after the
  // interval (±10 % jitter); nothing changed in the registry meanwhile.
  if (outcome.ok()) {
    const absl::Duration steady_timeout = setup.poll_interval * 1.2 + setup.cycle_timeout;
    if (!WaitUntil([&] { return polls() > n; }, steady_timeout)) {
      outcome = absl::DeadlineExceededError(absl::StrCat(scenario.name, ": no poll of the second cycle"));
    }
    const Snapshot steady_first = measurer.Take();
    if (outcome.ok() && !WaitUntil([&] { return polls() >= 2.0 * n; }, steady_timeout)) {
      outcome = absl::DeadlineExceededError(absl::StrCat(scenario.name, ": steady cycle: ", polls() - n, " of ", n,
                                                         " polls"));
    }
    const absl::Time steady_last_poll = absl::Now();
    SettleObservations(observations);
    const Snapshot steady_end = measurer.Take();
    json steady = DescribeCycle(initial_end, steady_end, n);
    const double span = absl::ToDoubleSeconds(steady_last_poll - steady_first.at);
    steady["wall_seconds_first_to_last_poll"] = Round(span);
    steady["wall_seconds_since_initial_cycle"] = Round(absl::ToDoubleSeconds(steady_last_poll - initial_end.at));
    const double idle_cpu = (steady_first.cpu - initial_end.cpu).total();
    steady["idle_cpu_seconds_before_first_poll"] = Round(idle_cpu);
    steady["cpu_seconds_after_first_poll"] = Round((steady_end.cpu - steady_first.cpu).total());
    steady["idle_seconds_before_first_poll"] = Round(absl::ToDoubleSeconds(steady_first.at - initial_end.at));
    report["steady_cycle"] = steady;
  }

  report["rss_before_bytes"] = rss_before;
  report["rss_end_bytes"] = SelfStatusBytes("VmRSS");
  const int64_t peak_rss = SelfStatusBytes("VmHWM");
  report["peak_rss_bytes"] = peak_rss;
  // What the scenario's N repositories added: hub state, poller state, connections, the bench's counting.
  report["peak_rss_growth_bytes"] = peak_rss - rss_before;
  report["peak_rss_is_per_scenario"] = peak_reset;
  if (!peak_reset) warnings.push_back("VmHWM could not be reset: peak_rss_bytes is the process's peak so far");
  if (const std::string failure = observations.FirstFailure(); !failure.empty()) {
    report["first_poll_failure"] = failure;
  }
  report["warnings"] = warnings;

  poller->Stop();
  poller.reset();
  hub.SetServing(false);
  server->Shutdown(absl::Now() + absl::Seconds(2));
  if (!outcome.ok()) {
    std::fprintf(stderr, "poller_bench: %s\n%s\n", outcome.ToString().c_str(), report.dump(2).c_str());
    return outcome;
  }
  return report;
}

// Whether the registry sends an ETag on a tag list (so 304s are possible), with a probe of repository 0.
json ProbeTagList(const testbed::Registry& registry) {
  oci::RegistryClientOptions options;
  absl::StatusOr<std::unique_ptr<oci::RegistryClient>> client = oci::RegistryClient::Create(std::move(options));
  if (!client.ok()) return {{"error", client.status().ToString()}};
  absl::StatusOr<oci::RepositoryRef> repository =
      oci::RepositoryRef::Parse(absl::StrCat(registry.host, "/", BenchRepositoryName(kPrefix, 0)));
  if (!repository.ok()) return {{"error", repository.status().ToString()}};
  const oci::RegistryAccess access{.security = oci::TransportSecurity::kPlainHttp};
  absl::StatusOr<oci::TagListResult> listed = (*client)->ListTags(*repository, access);
  if (!listed.ok()) return {{"error", listed.status().ToString()}};
  return {{"etag_sent", !listed->etag.empty()},
          {"one_tag_list_bytes_received", listed->stats.bytes_received},
          {"requests", listed->stats.requests}};
}

int Main() {
  common::SetLogService("poller-bench");
  common::SetMinLogLevel(absl::GetFlag(FLAGS_verbose) ? common::LogLevel::kInfo : common::LogLevel::kWarning);
  const int n = absl::GetFlag(FLAGS_repositories);
  if (n <= 0) {
    std::fprintf(stderr, "poller_bench: --repositories must be positive\n");
    return 2;
  }
  const std::string load_at_start = LoadAverage();

  absl::StatusOr<const testbed::TestbedEnv*> env = testbed::EnsureTestbed();
  if (!env.ok()) {
    std::fprintf(stderr, "poller_bench: test bed unavailable: %s\n", env.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<testbed::Registry> registry = testbed::GetRegistry(testbed::RegistryFlavour::kAnonymous);
  if (!registry.ok()) {
    std::fprintf(stderr, "poller_bench: %s\n", registry.status().ToString().c_str());
    return 1;
  }

  std::fprintf(stderr, "poller_bench: preparing %d repositories on %s\n", n, registry->host.c_str());
  absl::StatusOr<PopulateResult> populated = PopulateRegistry({.base_url = registry->base_url(),
                                                               .prefix = std::string(kPrefix),
                                                               .repositories = n,
                                                               .threads = absl::GetFlag(FLAGS_populate_threads),
                                                               .tag = std::string(kTag)});
  if (!populated.ok()) {
    std::fprintf(stderr, "poller_bench: cannot populate the registry: %s\n", populated.status().ToString().c_str());
    return 1;
  }

  BenchSetup setup{
      .registry = *registry,
      .manifest_digest = populated->manifest_digest,
      .registry_pid = std::nullopt,
      .repositories = n,
      .poll_interval = absl::GetFlag(FLAGS_poll_interval),
      .cycle_timeout = absl::GetFlag(FLAGS_cycle_timeout),
      .poller_options = {.controller_address = "",
                         .version = "poller-bench",
                         .max_concurrent_polls = absl::GetFlag(FLAGS_max_concurrent_polls),
                         .registry_qps = absl::GetFlag(FLAGS_registry_qps),
                         .registry_burst = absl::GetFlag(FLAGS_registry_burst)},
  };
  absl::StatusOr<pid_t> registry_pid =
      PidFromTestbedRecord(absl::StrCat((*env)->Value("WERF_TESTBED_DIR"), "/pids/registry-anon.pid"));
  if (registry_pid.ok()) setup.registry_pid = *registry_pid;

  json report = {
      {"benchmark", "poller"},
      {"started_at", absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone())},
      {"machine", MachineDescription()},
      {"build_type", WERF_BENCH_BUILD_TYPE},
      {"registry",
       {{"flavour", "CNCF distribution v3 (test bed registry-anon), anonymous, plain HTTP, filesystem storage"},
        {"host", registry->host},
        {"tag_list", ProbeTagList(*registry)}}},
      {"config",
       {{"repositories", n},
        {"tags_per_repository", 1},
        {"poll_interval_seconds", absl::ToDoubleSeconds(setup.poll_interval)},
        {"jitter", "±10 %"},
        {"max_concurrent_polls", setup.poller_options.max_concurrent_polls},
        {"registry_qps", setup.poller_options.registry_qps},
        {"registry_burst", setup.poller_options.registry_burst},
        {"access", "insecure: true (https tried once, then plain HTTP remembered for the registry)"}}},
      {"populate",
       {{"reused", populated->reused},
        {"created", populated->created},
        {"mount_fallbacks", populated->mount_fallbacks},
        {"requests", populated->requests},
        {"seconds", Round(absl::ToDoubleSeconds(populated->elapsed))}}},
      {"measured",
       "CPU and RSS are of this whole process: poller, the in-process hub (HubServiceImpl, gRPC "
       "server) and the bench's counting; registry_cpu_seconds is the registry process. "
       "Requests and bytes are counted at the registry client's HTTP transport."},
  };

  json scenarios = json::array();
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',', absl::SkipEmpty())) {
    if (name != "tags" && name != "watched_tag") {
      std::fprintf(stderr, "poller_bench: unknown scenario \"%s\" (tags, watched_tag)\n", std::string(name).c_str());
      return 2;
    }
    std::fprintf(stderr, "poller_bench: scenario %s: two cycles, the second one interval (%s) later\n",
                 std::string(name).c_str(), absl::FormatDuration(setup.poll_interval).c_str());
    absl::StatusOr<json> result = RunScenario({.name = std::string(name), .watch_tag = name == "watched_tag"}, setup);
    if (!result.ok()) return 1;
    scenarios.push_back(*result);
  }
  report["scenarios"] = scenarios;
  report["load_average"] = {{"start", load_at_start}, {"end", LoadAverage()}};

  const std::string text = report.dump(2);
  std::printf("%s\n", text.c_str());
  if (const std::string path = absl::GetFlag(FLAGS_report_file); !path.empty()) {
    std::ofstream(path) << text << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace werf::poller::bench

int main(int argc, char** argv) {
  werf::common::ParseFlagsWithEnvironment(
      argc, argv,
      "poller_bench: registry requests, bytes, CPU and memory of the poller per cycle over many "
      "repositories on the test bed's registry.");
  return werf::poller::bench::Main();
}
