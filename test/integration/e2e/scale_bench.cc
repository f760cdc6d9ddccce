// The whole-system scale benchmark (issue 16; not a test): the four real binaries on a test
// bed of their own (kwok nodes, the anonymous and the Basic-auth registries), N WerfBundles in
// M namespaces over N/10 repositories, every bundle driven to Synced; then one poll interval
// with nothing changed, one with new tags, a controller restart, a converger restart and three
// pollers instead of one. Prints one table (each figure beside its target) and writes a JSON
// report, so a rerun compares.
//
// Where each figure comes from:
//   memory, CPU       /proc/<pid>/status (VmRSS, VmHWM) and /proc/<pid>/stat of each service
//   registry requests the registries' own access logs (GET tags/list, HEAD/GET manifests, ...)
//   API requests      the API server's apiserver_request_total, by verb and resource (the
//                     whole cluster: kwok's node leases and the controller's Lease are listed
//                     apart; the benchmark's own informers only watch)
//   status writes     the controller's werf_operator_controller_status_writes_total
//   latencies         informers in this process: a bundle's create call returning -> its first
//                     Job delivered; a tag's push returning -> the Job of each bundle on it
//
//   make bench-scale     # WERF_BENCH_BUNDLES (10000), WERF_BENCH_NAMESPACES (100),
//                        # WERF_BENCH_INTERVAL_SECONDS (60), WERF_BENCH_NEW_TAG_REPOSITORIES (100),
//                        # WERF_BENCH_SERVICE_FLAGS (extra flags for every service, e.g.
//                        # "--kube_api_qps=500 --kube_api_burst=1000")
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "httplib.h"
#include "libs/common/status_context.h"
#include "libs/hub/job_labels.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/informer.h"
#include "libs/kube/resource.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"
#include "test/bench/ghz.h"
#include "test/bench/process_stats.h"
#include "test/bench/registry_populator.h"
#include "test/bench/watch_fanout.h"
#include "test/integration/e2e/operator_system.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/crd.h"
#include "test/support/test_namespace.h"

namespace werf::e2e {
namespace {

using nlohmann::json;

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  int parsed = 0;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) && parsed > 0 ? parsed : fallback;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5));
  return values[index];
}

void Progress(const std::string& message) {
  std::cerr << absl::FormatTime("[%H:%M:%S] ", absl::Now(), absl::LocalTimeZone()) << message << std::endl;
}

struct Config {
  int bundles = EnvInt("WERF_BENCH_BUNDLES", 10000);
  int namespaces = EnvInt("WERF_BENCH_NAMESPACES", 100);
  int per_repository = 10;
  absl::Duration interval = absl::Seconds(EnvInt("WERF_BENCH_INTERVAL_SECONDS", 60));
  int new_tag_repositories = EnvInt("WERF_BENCH_NEW_TAG_REPOSITORIES", 100);
  std::vector<std::string> service_flags = [] {
    const char* flags = std::getenv("WERF_BENCH_SERVICE_FLAGS");
    return flags == nullptr ? std::vector<std::string>{}
                            : std::vector<std::string>(absl::StrSplit(flags, ' ', absl::SkipEmpty()));
  }();
  int repositories() const { return (bundles + per_repository - 1) / per_repository; }
};

// ----- where a bundle's repository is -----

// Even repositories on the anonymous registry, odd ones on the Basic-auth registry, whose
// bundles read one Secret per namespace with the same credentials.
struct Layout {
  const Config& config;
  testbed::Registry anonymous{};
  testbed::Registry basic{};

  bool HasCredentials(int repository) const { return repository % 2 == 1; }
  const testbed::Registry& RegistryOf(int repository) const {
    return HasCredentials(repository) ? basic : anonymous;
  }
  std::string RepositoryPath(int repository) const {
    return bench::BenchRepositoryName("scale/", repository / 2);
  }
  int RepositoryOf(int bundle) const { return bundle / config.per_repository; }
  std::string Namespace(int bundle) const { return absl::StrCat("scale-", bundle % config.namespaces); }
  std::string Name(int bundle) const { return absl::StrFormat("b%05d", bundle); }
  std::string Key(int bundle) const { return absl::StrCat(Namespace(bundle), "/", Name(bundle)); }

  json Bundle(int bundle) const {
    const int repository = RepositoryOf(bundle);
    json registry = {{"url", absl::StrCat(RegistryOf(repository).host, "/", RepositoryPath(repository))},
                     {"insecure", true},
                     {"pollInterval", absl::StrCat(absl::ToInt64Seconds(config.interval), "s")}};
    if (HasCredentials(repository)) registry["secretRef"] = {{"name", "registry-creds"}};
    return {{"apiVersion", "werf.io/v1alpha1"},
            {"kind", "WerfBundle"},
            // Labels for the gateway's selector scenario: 1 in 40 bundles is team-7 in prod.
            {"metadata",
             {{"name", Name(bundle)},
              {"namespace", Namespace(bundle)},
              {"labels", {{"team", absl::StrCat("team-", bundle % 20)}, {"tier", bundle % 40 < 20 ? "prod" : "dev"}}}}},
            {"spec", {{"registry", registry}, {"converge", {{"serviceAccountName", "deployer"}}}}}};
  }
};

// ----- what the cluster does, seen by informers in this process -----

// The first moment a Job of each bundle arrived, and how many Jobs arrived in all.
class JobArrivals {
 public:
  explicit JobArrivals(std::shared_ptr<kube::RestClient> client)
      : informer_(std::move(client),
                  {.resource = kube::resources::kJobs,
                   .label_selector = absl::StrCat(hub::kLabelManagedBy, "=", hub::kManagedByValue),
                   .name = "bench-jobs",
                   .transform = [](json job) {
                     return json{{"metadata", {{"namespace", job["metadata"]["namespace"]},
                                               {"name", job["metadata"]["name"]},
                                               {"labels", job["metadata"].value("labels", json::object())}}}};
                   }}) {
    informer_.AddHandlers({.on_add = [this](const kube::ObjectPtr& job) { Arrived(*job); }});
  }
  absl::Status Start() {
    informer_.Start();
    return informer_.WaitForSync(absl::Minutes(2)) ? absl::OkStatus()
                                                  : absl::DeadlineExceededError("the Job informer never synced");
  }

  int total() {
    absl::MutexLock lock(&mu_);
    return total_;
  }
  // Arrivals after `since` of the bundles in `keys`.
  std::vector<std::optional<absl::Time>> FirstAfter(const std::vector<std::string>& keys, absl::Time since) {
    absl::MutexLock lock(&mu_);
    std::vector<std::optional<absl::Time>> result;
    for (const std::string& key : keys) {
      std::optional<absl::Time> first;
      if (auto it = arrivals_.find(key); it != arrivals_.end()) {
        for (absl::Time t : it->second) {
          if (t >= since) {
            first = t;
            break;
          }
        }
      }
      result.push_back(first);
    }
    return result;
  }

 private:
  void Arrived(const json& job) {
    const absl::Time now = absl::Now();
    const json labels = job["metadata"].value("labels", json::object());
    const std::string key = absl::StrCat(labels.value(std::string(hub::kLabelBundleNamespace), ""), "/",
                                         labels.value(std::string(hub::kLabelBundle), ""));
    absl::MutexLock lock(&mu_);
    ++total_;
    arrivals_[key].push_back(now);
  }

  kube::Informer informer_;
  absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::vector<absl::Time>> arrivals_ ABSL_GUARDED_BY(mu_);
};

// Phase and applied tag of every bundle.
class BundleStates {
 public:
  explicit BundleStates(std::shared_ptr<kube::RestClient> client)
      : informer_(std::move(client), {.resource = kube::resources::kWerfBundles, .name = "bench-bundles",
                                      .transform = [](json bundle) {
                                        const json status = bundle.value("status", json::object());
                                        return json{{"metadata", {{"namespace", bundle["metadata"]["namespace"]},
                                                                  {"name", bundle["metadata"]["name"]}}},
                                                    {"phase", status.value("phase", "")},
                                                    {"tag", status.value("lastAppliedTag", "")}};
                                      }}) {}
  absl::Status Start() {
    informer_.Start();
    return informer_.WaitForSync(absl::Minutes(2)) ? absl::OkStatus()
                                                  : absl::DeadlineExceededError("the bundle informer never synced");
  }
  // Bundles Synced at `tag` (any tag when empty) among `keys`.
  int SyncedAt(const std::vector<std::string>& keys, const std::string& tag) const {
    int synced = 0;
    for (const std::string& key : keys) {
      kube::ObjectPtr bundle = informer_.store().Get(key);
      synced += bundle != nullptr && (*bundle)["phase"] == "Synced" && (tag.empty() || (*bundle)["tag"] == tag);
    }
    return synced;
  }
  // Waits until all of `keys` are Synced at `tag`; the moment they were, or the error.
  absl::StatusOr<absl::Time> WaitSynced(const std::vector<std::string>& keys, const std::string& tag,
                                        absl::Duration timeout, const std::string& what) const {
    const absl::Time deadline = absl::Now() + timeout;
    int last_reported = -1;
    absl::Time last_report = absl::Now();
    while (true) {
      const int synced = SyncedAt(keys, tag);
      if (synced == static_cast<int>(keys.size())) return absl::Now();
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat(what, ": only ", synced, " of ", keys.size(), " bundles Synced within ",
                         absl::FormatDuration(timeout)));
      }
      if (synced != last_reported && absl::Now() - last_report > absl::Seconds(15)) {
        Progress(absl::StrCat(what, ": ", synced, " of ", keys.size(), " Synced"));
        last_reported = synced;
        last_report = absl::Now();
      }
      absl::SleepFor(absl::Milliseconds(250));
    }
  }

 private:
  kube::Informer informer_;
};

// ----- counters read before and after a phase -----

// Samples of one Prometheus text exposition, by "name{labels}".
std::map<std::string, double> ParseMetrics(const std::string& text, absl::string_view prefix) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, prefix)) continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space != absl::string_view::npos && absl::SimpleAtod(line.substr(space + 1), &value)) {
      samples[std::string(line.substr(0, space))] = value;
    }
  }
  return samples;
}

std::string Label(absl::string_view sample, absl::string_view label) {
  const std::string key = absl::StrCat(label, "=\"");
  const size_t start = sample.find(key);
  if (start == absl::string_view::npos) return "";
  const size_t from = start + key.size();
  return std::string(sample.substr(from, sample.find('"', from) - from));
}

double Sum(const std::map<std::string, double>& samples, absl::string_view name) {
  double sum = 0;
  for (const auto& [sample, value] : samples) {
    if (absl::StartsWith(sample, name) && (sample.size() == name.size() || sample[name.size()] == '{')) sum += value;
  }
  return sum;
}

absl::StatusOr<std::string> ScrapeApiServer() {
  const testbed::TestbedEnv& env = testbed::Env();
  return testbed::RunCommandOk({"curl", "-sf", "--cacert", env.Value("WERF_TESTBED_CA"), "--cert",
                                env.Value("WERF_TESTBED_ADMIN_CERT"), "--key", env.Value("WERF_TESTBED_ADMIN_KEY"),
                                absl::StrCat(env.Value("WERF_TESTBED_APISERVER"), "/metrics")});
}

std::string ScrapeService(const ServiceProcess* process) {
  if (process == nullptr) return "";
  httplib::Client http("http://" + process->http_address());
  http.set_read_timeout(10);
  auto response = http.Get("/metrics");
  return response && response->status == 200 ? response->body : "";
}

// Requests of one kind in the registries' access logs (lines "GET /v2/... HTTP/1.1" status).
struct RegistryCounts {
  std::map<std::string, int64_t> by_kind;
  int64_t Get(const std::string& kind) const {
    auto it = by_kind.find(kind);
    return it == by_kind.end() ? 0 : it->second;
  }
};

std::string RequestKind(const std::string& method, const std::string& path) {
  if (path == "/v2/" || path == "/v2") return "ping";
  if (absl::StrContains(path, "/tags/list")) return "tag list";
  if (absl::StrContains(path, "/manifests/")) return absl::StrCat(method == "HEAD" ? "HEAD" : method, " manifest");
  if (absl::StrContains(path, "/blobs/")) return absl::StrCat(method, " blob");
  return absl::StrCat(method, " other");
}

class RegistryLogs {
 public:
  RegistryLogs() {
    const std::string dir = testbed::Env().Value("WERF_TESTBED_DIR");
    for (const char* name : {"registry-anon", "registry-basic"}) files_.push_back(absl::StrCat(dir, "/logs/", name, ".log"));
    offsets_.assign(files_.size(), 0);
  }
  // Counts what was logged since the previous call.
  RegistryCounts Since() {
    static const std::regex request(R"re("(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP/[0-9.]+" ([0-9]{3}))re");
    RegistryCounts counts;
    for (size_t i = 0; i < files_.size(); ++i) {
      std::ifstream in(files_[i]);
      in.seekg(offsets_[i]);
      std::string line;
      while (std::getline(in, line)) {
        std::smatch match;
        if (!std::regex_search(line, match, request)) continue;
        std::string path = match[2].str();
        path = path.substr(0, path.find('?'));
        ++counts.by_kind[RequestKind(match[1].str(), path)];
        if (match[3].str() == "401") ++counts.by_kind["401 (auth challenge)"];
      }
      in.clear();
      in.seekg(0, std::ios::end);
      offsets_[i] = in.tellg();
    }
    return counts;
  }

 private:
  std::vector<std::string> files_;
  std::vector<std::streamoff> offsets_;
};

struct ProcessSample {
  double cpu_seconds = 0;
  int64_t rss = 0;
  int64_t peak_rss = 0;
};

ProcessSample SampleProcess(pid_t pid) {
  std::optional<bench::CpuTimes> cpu = bench::ProcessCpu(pid);
  return {.cpu_seconds = cpu ? cpu->total() : -1,
          .rss = bench::ProcessStatusBytes(pid, "VmRSS"),
          .peak_rss = bench::ProcessStatusBytes(pid, "VmHWM")};
}

double MiB(int64_t bytes) { return bytes < 0 ? -1 : static_cast<double>(bytes) / (1024.0 * 1024.0); }

// ----- the benchmark -----

class ScaleBench {
 public:
  explicit ScaleBench(Config config) : config_(std::move(config)), layout_{.config = config_} {}

  absl::Status Run() {
    if (absl::Status s = SetUp(); !s.ok()) return s;
    if (absl::Status s = StartSystem(); !s.ok()) return s;
    if (absl::Status s = FirstPass(); !s.ok()) return s;
    if (absl::Status s = Settle("after the first pass"); !s.ok()) return s;
    if (Wanted("idle")) {
      if (absl::Status s = IdleInterval("idle, 1 poller"); !s.ok()) return s;
    }
    if (Wanted("new-tags")) {
      if (absl::Status s = NewTags(); !s.ok()) return s;
      if (absl::Status s = Settle("after the new tags"); !s.ok()) return s;
    }
    if (Wanted("controller-restart")) {
      if (absl::Status s = ControllerRestart(); !s.ok()) return s;
    }
    if (Wanted("converger-restart")) {
      if (absl::Status s = ConvergerRestart(); !s.ok()) return s;
    }
    if (Wanted("pollers")) {
      if (absl::Status s = ThreePollers(); !s.ok()) return s;
    }
    if (Wanted("gateway")) {
      if (absl::Status s = GatewayLoad(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  json report() const { return report_; }

  void PrintTable() const;
  // The services and this process's informers stop; the test bed stays.
  void StopSystem() {
    jobs_.reset();
    bundles_.reset();
    system_.reset();
  }

 private:
  absl::Status SetUp();
  absl::Status StartSystem();
  absl::Status FirstPass();
  absl::Status Settle(const std::string& what);
  absl::Status IdleInterval(const std::string& name);
  absl::Status NewTags();
  absl::Status ControllerRestart();
  absl::Status ConvergerRestart();
  absl::Status ThreePollers();
  absl::Status GatewayLoad();
  // WERF_BENCH_PHASES (comma-separated; default all) names the phases run after the
  // first pass: idle, new-tags, controller-restart, converger-restart, pollers, gateway.
  static bool Wanted(absl::string_view phase) {
    const char* phases = std::getenv("WERF_BENCH_PHASES");
    if (phases == nullptr || *phases == '\0') return true;
    for (absl::string_view p : absl::StrSplit(phases, ',', absl::SkipEmpty())) {
      if (absl::StripAsciiWhitespace(p) == phase) return true;
    }
    return false;
  }

  std::vector<std::pair<std::string, ServiceProcess*>> Services() {
    std::vector<std::pair<std::string, ServiceProcess*>> services;
    if (ServiceProcess* leader = system_->Leader()) services.emplace_back("controller", leader);
    for (size_t i = 0; i < system_->pollers().size(); ++i) {
      services.emplace_back(absl::StrCat("poller-", i), system_->pollers()[i].get());
    }
    services.emplace_back("converger", system_->convergers().back().get());
    services.emplace_back("gateway", system_->gateway());
    return services;
  }
  std::map<std::string, ProcessSample> SampleServices() {
    std::map<std::string, ProcessSample> samples;
    for (const auto& [name, process] : Services()) {
      samples[name] = SampleProcess(process->pid());
      peak_rss_[name] = std::max(peak_rss_[name], samples[name].peak_rss);
    }
    return samples;
  }
  double StatusWrites() {
    return Sum(ParseMetrics(ScrapeService(system_->Leader()), "werf_operator_controller_status_writes_total"),
               "werf_operator_controller_status_writes_total");
  }
  std::vector<std::string> Keys(int from, int to) const {
    std::vector<std::string> keys;
    for (int b = from; b < to; ++b) keys.push_back(layout_.Key(b));
    return keys;
  }
  std::vector<std::string> AllKeys() const { return Keys(0, config_.bundles); }

  Config config_;
  Layout layout_;
  std::shared_ptr<kube::RestClient> admin_;
  std::unique_ptr<OperatorSystem> system_;
  std::unique_ptr<JobArrivals> jobs_;
  std::unique_ptr<BundleStates> bundles_;
  std::unique_ptr<RegistryLogs> registry_logs_;
  std::map<std::string, int64_t> peak_rss_;
  json report_ = json::object();
};

absl::Status ScaleBench::SetUp() {
  // A fresh test bed each run, so runs compare: the previous run's objects would otherwise
  // be relisted by every informer and their Jobs re-observed.
  (void)testbed::RunCommand({testbed::TestbedScript(), "down"});
  absl::StatusOr<const testbed::TestbedEnv*> env = testbed::EnsureTestbed();
  if (!env.ok()) return env.status();
  Progress("test bed up");
  absl::StatusOr<kube::ClusterConfig> cluster = kube::LoadKubeconfig((*env)->Value("KUBECONFIG"));
  if (!cluster.ok()) return cluster.status();
  absl::StatusOr<std::shared_ptr<kube::RestClient>> admin =
      kube::RestClient::Create(*std::move(cluster), {.qps = 2000, .burst = 4000, .user_agent = "scale-bench"});
  if (!admin.ok()) return admin.status();
  admin_ = *std::move(admin);
  if (absl::Status crd = test_support::InstallWerfBundleCrd(); !crd.ok()) return crd;

  for (auto [flavour, registry] : {std::pair{testbed::RegistryFlavour::kAnonymous, &layout_.anonymous},
                                   std::pair{testbed::RegistryFlavour::kBasic, &layout_.basic}}) {
    absl::StatusOr<testbed::Registry> got = testbed::GetRegistry(flavour);
    if (!got.ok()) return got.status();
    *registry = *got;
  }
  for (const testbed::Registry* registry : {&layout_.anonymous, &layout_.basic}) {
    const bool basic = registry == &layout_.basic;
    absl::StatusOr<bench::PopulateResult> populated = bench::PopulateRegistry(
        {.base_url = registry->base_url(),
         .basic_auth = basic ? absl::StrCat(registry->username, ":", registry->password) : "",
         .prefix = "scale/",
         .repositories = (config_.repositories() + (basic ? 0 : 1)) / 2});
    if (!populated.ok()) return populated.status();
  }
  Progress(absl::StrCat(config_.repositories(), " repositories populated"));

  std::string objects;
  for (int n = 0; n < config_.namespaces; ++n) {
    const std::string ns = absl::StrCat("scale-", n);
    // A test bed that did not go down above still holds them; that is fine, as for the apply below.
    if (absl::Status created = test_support::CreateNamespace(*admin_, ns);
        !created.ok() && !absl::IsAlreadyExists(created)) {
      return created;
    }
    absl::StrAppend(&objects, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: ", ns,
                    "}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: registry-creds, namespace: ", ns,
                    "}\ntype: kubernetes.io/basic-auth\nstringData: {username: \"", layout_.basic.username,
                    "\", password: \"", layout_.basic.password, "\"}\n");
  }
  if (absl::Status applied = testbed::ApplyYaml(objects); !applied.ok()) return applied;
  Progress(absl::StrCat(config_.namespaces, " namespaces with a ServiceAccount and a credentials Secret"));

  jobs_ = std::make_unique<JobArrivals>(admin_);
  bundles_ = std::make_unique<BundleStates>(admin_);
  if (absl::Status s = jobs_->Start(); !s.ok()) return s;
  if (absl::Status s = bundles_->Start(); !s.ok()) return s;
  registry_logs_ = std::make_unique<RegistryLogs>();
  report_["machine"] = bench::MachineDescription();
  report_["config"] = {{"bundles", config_.bundles},
                       {"namespaces", config_.namespaces},
                       {"repositories", config_.repositories()},
                       {"bundles_per_repository", config_.per_repository},
                       {"poll_interval_s", absl::ToInt64Seconds(config_.interval)},
                       {"service_flags", config_.service_flags}};
  return absl::OkStatus();
}

absl::Status ScaleBench::StartSystem() {
  SystemOptions options{.controller_flags = config_.service_flags,
                        .poller_flags = config_.service_flags,
                        .converger_flags = config_.service_flags};
  absl::StatusOr<std::unique_ptr<OperatorSystem>> system = OperatorSystem::Start(std::move(options));
  if (!system.ok()) return system.status();
  system_ = *std::move(system);
  Progress(absl::StrCat("operator up; logs in ", system_->log_dir()));
  return absl::OkStatus();
}

absl::Status ScaleBench::FirstPass() {
  const absl::Time start = absl::Now();
  std::vector<absl::Time> created(config_.bundles);
  std::atomic<int> next{0};
  absl::Mutex error_mu;
  absl::Status error;
  auto create = [&] {
    for (int b = next.fetch_add(1); b < config_.bundles; b = next.fetch_add(1)) {
      absl::StatusOr<json> made = admin_->Create(kube::resources::kWerfBundles, layout_.Namespace(b), layout_.Bundle(b));
      created[b] = absl::Now();
      if (!made.ok()) {
        absl::MutexLock lock(&error_mu);
        if (error.ok()) error = made.status();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back(create);
  for (std::thread& thread : threads) thread.join();
  if (!error.ok()) return error;
  const absl::Time all_created = absl::Now();
  Progress(absl::StrCat(config_.bundles, " bundles created in ", absl::FormatDuration(all_created - start)));

  const std::vector<std::string> keys = AllKeys();
  absl::StatusOr<absl::Time> synced = bundles_->WaitSynced(keys, "1.0.0", absl::Minutes(90), "first pass");
  if (!synced.ok()) return synced.status();
  std::vector<std::optional<absl::Time>> first_jobs = jobs_->FirstAfter(keys, start);
  std::vector<double> latency_ms;
  absl::Time last_job = start;
  for (int b = 0; b < config_.bundles; ++b) {
    if (!first_jobs[b]) continue;
    latency_ms.push_back(absl::ToDoubleMilliseconds(*first_jobs[b] - created[b]));
    last_job = std::max(last_job, *first_jobs[b]);
  }
  report_["first_pass"] = {{"create_seconds", absl::ToDoubleSeconds(all_created - start)},
                           {"last_job_seconds", absl::ToDoubleSeconds(last_job - start)},
                           {"all_synced_seconds", absl::ToDoubleSeconds(*synced - start)},
                           {"bundles_with_job", latency_ms.size()},
                           {"create_to_job_ms", {{"p50", Percentile(latency_ms, 0.5)},
                                                 {"p99", Percentile(latency_ms, 0.99)},
                                                 {"max", Percentile(latency_ms, 1.0)}}}};
  Progress(absl::StrCat("first pass: ", report_["first_pass"].dump()));
  return absl::OkStatus();
}

// Waits until the controller has stopped writing status (nothing left to do) for 10 s.
absl::Status ScaleBench::Settle(const std::string& what) {
  const absl::Time deadline = absl::Now() + absl::Minutes(15);
  double writes = StatusWrites();
  absl::Time quiet_since = absl::Now();
  while (absl::Now() - quiet_since < absl::Seconds(10)) {
    if (absl::Now() > deadline) return absl::DeadlineExceededError(absl::StrCat("never settled ", what));
    absl::SleepFor(absl::Seconds(1));
    const double now = StatusWrites();
    if (now != writes) quiet_since = absl::Now();
    writes = now;
  }
  return absl::OkStatus();
}

// One poll interval (plus 5 s) with nothing changed: what everything costs when idle.
absl::Status ScaleBench::IdleInterval(const std::string& name) {
  const std::map<std::string, ProcessSample> before = SampleServices();
  absl::StatusOr<std::string> api_before = ScrapeApiServer();
  if (!api_before.ok()) return api_before.status();
  const double writes_before = StatusWrites();
  const int jobs_before = jobs_->total();
  (void)registry_logs_->Since();
  Progress(absl::StrCat(name, ": one poll interval (", absl::FormatDuration(config_.interval), ") with nothing changed"));
  const absl::Duration length = config_.interval + absl::Seconds(5);
  absl::SleepFor(length);

  const RegistryCounts registry = registry_logs_->Since();
  const std::map<std::string, ProcessSample> after = SampleServices();
  absl::StatusOr<std::string> api_after = ScrapeApiServer();
  if (!api_after.ok()) return api_after.status();
  json phase = {{"seconds", absl::ToDoubleSeconds(length)},
                {"status_writes", StatusWrites() - writes_before},
                {"jobs_created", jobs_->total() - jobs_before}};
  for (const auto& [kind, count] : registry.by_kind) phase["registry_requests"][kind] = count;
  for (const auto& [service, sample] : after) {
    auto b = before.find(service);
    phase["services"][service] = {
        {"cpu_seconds", b == before.end() ? -1 : sample.cpu_seconds - b->second.cpu_seconds},
        {"rss_mib", MiB(sample.rss)},
        {"peak_rss_mib", MiB(peak_rss_[service])}};
  }
  // API requests by verb and resource, WATCH left out (a watch is one long request).
  const std::map<std::string, double> a = ParseMetrics(*api_before, "apiserver_request_total{");
  const std::map<std::string, double> z = ParseMetrics(*api_after, "apiserver_request_total{");
  std::map<std::string, double> by_verb;
  for (const auto& [sample, value] : z) {
    const std::string verb = Label(sample, "verb");
    const std::string resource = Label(sample, "resource");
    auto previous = a.find(sample);
    const double delta = value - (previous == a.end() ? 0 : previous->second);
    if (delta <= 0 || verb == "WATCH" || resource.empty()) continue;
    const std::string subresource = Label(sample, "subresource");
    by_verb[absl::StrCat(verb, " ", resource, subresource.empty() ? "" : "/", subresource)] += delta;
  }
  for (const auto& [key, value] : by_verb) phase["api_requests"][key] = value;
  report_["intervals"][name] = phase;
  Progress(absl::StrCat(name, ": ", phase.dump()));
  return absl::OkStatus();
}

absl::Status ScaleBench::NewTags() {
  const int repositories = std::min(config_.new_tag_repositories, config_.repositories());
  // Spread over the whole set, both registries.
  std::vector<int> chosen;
  for (int i = 0; i < repositories; ++i) chosen.push_back(i * config_.repositories() / repositories);
  const int jobs_before = jobs_->total();
  (void)registry_logs_->Since();
  const std::map<std::string, ProcessSample> before = SampleServices();
  const absl::Time start = absl::Now();
  std::vector<std::string> keys;
  std::vector<absl::Time> pushed_at;
  absl::BitGen random;
  for (int repository : chosen) {
    // Each push at a random moment of one interval, as releases land: otherwise every push
    // would wait for the same poll.
    absl::SleepFor(config_.interval / repositories * absl::Uniform(random, 0.0, 1.0));
    absl::Status pushed = testbed::PushTags(layout_.RegistryOf(repository), layout_.RepositoryPath(repository), {"1.1.0"});
    if (!pushed.ok()) return pushed;
    const absl::Time at = absl::Now();
    for (int b = repository * config_.per_repository;
         b < std::min(config_.bundles, (repository + 1) * config_.per_repository); ++b) {
      keys.push_back(layout_.Key(b));
      pushed_at.push_back(at);
    }
  }
  Progress(absl::StrCat(repositories, " new tags pushed in ", absl::FormatDuration(absl::Now() - start)));
  absl::StatusOr<absl::Time> synced =
      bundles_->WaitSynced(keys, "1.1.0", config_.interval * 3 + absl::Minutes(10), "new tags");
  if (!synced.ok()) return synced.status();
  std::vector<std::optional<absl::Time>> first_jobs = jobs_->FirstAfter(keys, start);
  std::vector<double> latency_ms;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (first_jobs[i]) latency_ms.push_back(absl::ToDoubleMilliseconds(*first_jobs[i] - pushed_at[i]));
  }
  const RegistryCounts registry = registry_logs_->Since();
  const std::map<std::string, ProcessSample> after = SampleServices();
  json phase = {{"tags_pushed", repositories},
                {"bundles", keys.size()},
                {"jobs_created", jobs_->total() - jobs_before},
                {"all_synced_seconds", absl::ToDoubleSeconds(*synced - start)},
                {"tag_to_job_ms", {{"p50", Percentile(latency_ms, 0.5)},
                                   {"p99", Percentile(latency_ms, 0.99)},
                                   {"max", Percentile(latency_ms, 1.0)}}}};
  for (const auto& [kind, count] : registry.by_kind) phase["registry_requests"][kind] = count;
  for (const auto& [service, sample] : after) {
    auto b = before.find(service);
    phase["services"][service] = {{"cpu_seconds", b == before.end() ? -1 : sample.cpu_seconds - b->second.cpu_seconds}};
  }
  report_["new_tags"] = phase;
  Progress(absl::StrCat("new tags: ", phase.dump()));
  return absl::OkStatus();
}

absl::Status ScaleBench::ControllerRestart() {
  ServiceProcess* old_leader = system_->Leader();
  if (old_leader == nullptr) return absl::InternalError("no leader before the controller restart");
  const int jobs_before = jobs_->total();
  const absl::Time start = absl::Now();
  old_leader->Terminate();
  absl::StatusOr<ServiceProcess*> added = system_->AddController();
  if (!added.ok()) return added.status();
  absl::StatusOr<ServiceProcess*> leader = system_->WaitForLeader(absl::Minutes(5));
  if (!leader.ok()) return leader.status();
  const absl::Time leading = absl::Now();
  if (absl::Status workers = system_->WaitForWorkers(1, 1, absl::Minutes(5)); !workers.ok()) return workers;
  // Steady: every bundle reconciled once (the queue drained) and nothing written since.
  const absl::Time deadline = absl::Now() + absl::Minutes(15);
  absl::Time steady;
  while (true) {
    const std::map<std::string, double> m = ParseMetrics(ScrapeService(*leader), "werf_operator_");
    const double depth = Sum(m, "werf_operator_workqueue_depth");
    const double reconciles = Sum(m, "werf_operator_controller_reconciles_total");
    if (depth == 0 && reconciles >= config_.bundles) {
      steady = absl::Now();
      break;
    }
    if (absl::Now() > deadline) return absl::DeadlineExceededError("the new controller never reconciled every bundle");
    absl::SleepFor(absl::Milliseconds(250));
  }
  absl::SleepFor(absl::Seconds(30));  // a Job created by a confused restart would show by now
  report_["controller_restart"] = {{"to_leading_seconds", absl::ToDoubleSeconds(leading - start)},
                                   {"to_steady_seconds", absl::ToDoubleSeconds(steady - start)},
                                   {"status_writes_after_restart", StatusWrites()},
                                   {"jobs_created", jobs_->total() - jobs_before}};
  Progress(absl::StrCat("controller restart: ", report_["controller_restart"].dump()));
  return absl::OkStatus();
}

// The converger is killed while Jobs are in flight (new tags on a few repositories just
// pushed); the time until the new converger has every bundle Synced at the new tag.
absl::Status ScaleBench::ConvergerRestart() {
  const int repositories = std::min(20, config_.repositories());
  std::vector<std::string> keys;
  const absl::Time pushed_from = absl::Now();
  for (int i = 0; i < repositories; ++i) {
    const int repository = i * config_.repositories() / repositories;
    if (absl::Status pushed =
            testbed::PushTags(layout_.RegistryOf(repository), layout_.RepositoryPath(repository), {"1.2.0"});
        !pushed.ok()) {
      return pushed;
    }
    for (int b = repository * config_.per_repository;
         b < std::min(config_.bundles, (repository + 1) * config_.per_repository); ++b) {
      keys.push_back(layout_.Key(b));
    }
  }
  // Wait for the first Jobs of these, then kill the converger mid-flight.
  const absl::Time deadline = absl::Now() + config_.interval * 2 + absl::Seconds(30);
  while (true) {
    int with_job = 0;
    for (const std::optional<absl::Time>& t : jobs_->FirstAfter(keys, pushed_from)) with_job += t.has_value();
    if (with_job > 0) break;
    if (absl::Now() > deadline) return absl::DeadlineExceededError("no Job for the converger restart's new tags");
    absl::SleepFor(absl::Milliseconds(100));
  }
  const int synced_at_kill = bundles_->SyncedAt(keys, "1.2.0");
  system_->convergers().back()->Kill();
  const absl::Time start = absl::Now();
  absl::StatusOr<ServiceProcess*> converger = system_->AddConverger();
  if (!converger.ok()) return converger.status();
  system_->convergers().erase(system_->convergers().begin());
  const absl::Time serving = absl::Now();
  absl::StatusOr<absl::Time> synced = bundles_->WaitSynced(keys, "1.2.0", absl::Minutes(10), "converger restart");
  if (!synced.ok()) return synced.status();
  report_["converger_restart"] = {{"bundles_in_flight", keys.size() - synced_at_kill},
                                  {"to_serving_seconds", absl::ToDoubleSeconds(serving - start)},
                                  {"to_all_synced_seconds", absl::ToDoubleSeconds(*synced - start)}};
  Progress(absl::StrCat("converger restart: ", report_["converger_restart"].dump()));
  return Settle("after the converger restart");
}

absl::Status ScaleBench::ThreePollers() {
  for (int i = 0; i < 2; ++i) {
    if (absl::StatusOr<ServiceProcess*> poller = system_->AddPoller(); !poller.ok()) return poller.status();
  }
  if (absl::Status workers = system_->WaitForWorkers(3, 1, absl::Minutes(2)); !workers.ok()) return workers;
  // Let the hub's re-assignment and the new pollers' first cycle pass.
  absl::SleepFor(config_.interval + absl::Seconds(5));
  return IdleInterval("idle, 3 pollers");
}

// ghz against the gateway holding every bundle, then one change fanned out to 1,000
// WatchBundles streams. ghz, this process and the gateway share the machine's cores, so
// ghz's own CPU time per request is reported beside the gateway's.
absl::Status ScaleBench::GatewayLoad() {
  ServiceProcess* gateway = system_->gateway();
  const std::string address = gateway->grpc_address();
  const std::string method_prefix = "werf.operator.v1.BundleService/";
  const int total = EnvInt("WERF_BENCH_GHZ_REQUESTS", 20000);
  // A few calls at once measure how long the gateway takes; 50 on 2 cores would
  // measure the queue (bench-gateway measures throughput that way).
  const int concurrency = EnvInt("WERF_BENCH_GHZ_CONCURRENCY", 4);
  (void)bench::RunGhz({.address = address, .method = method_prefix + "GetSummary", .total = 1000});  // warm-up
  const struct {
    std::string scenario;
    std::string method;
    json request;
    int total;
  } scenarios[] = {
      {"GetBundle, random bundle", "GetBundle",
       {{"namespace", absl::StrCat("scale-{{mod .RequestNumber ", config_.namespaces, "}}")},
        // ghz renders the template before it parses the JSON: a Go raw string, no quotes.
        {"name", absl::StrCat("b{{printf `%05d` (mod .RequestNumber ", config_.bundles, ")}}")}},
       total},
      {"ListBundles, page of 100", "ListBundles", {{"page_size", 100}}, total / 4},
      {"ListBundles, label selector", "ListBundles", {{"label_selector", "team=team-7,tier in (prod)"}}, total / 4},
      {"GetSummary", "GetSummary", json::object(), total / 4},
  };
  json phase = {{"scenarios", json::array()}, {"ghz_concurrency", concurrency}};
  for (const auto& s : scenarios) {
    Progress(absl::StrCat("ghz: ", s.scenario, " (", s.total, " requests)"));
    const ProcessSample before = SampleProcess(gateway->pid());
    absl::StatusOr<bench::GhzFigures> ran =
        bench::RunGhz({.address = address,
                       .method = method_prefix + s.method,
                       .request = s.request,
                       .total = s.total,
                       .concurrency = concurrency,
                       .connections = 1});
    if (!ran.ok()) return common::WithContext(ran.status(), absl::StrCat("ghz ", s.scenario));
    const ProcessSample after = SampleProcess(gateway->pid());
    phase["scenarios"].push_back(
        {{"scenario", s.scenario}, {"count", ran->count}, {"errors", ran->errors}, {"rps", ran->rps},
         {"p50_ms", ran->p50_ms}, {"p99_ms", ran->p99_ms}, {"ghz_cpu_ms", ran->ghz_cpu_ms},
         {"gateway_cpu_ms", ran->count > 0 ? (after.cpu_seconds - before.cpu_seconds) * 1000 / ran->count : -1}});
  }

  // 1,000 streams on one namespace (each snapshot is that namespace's bundles), then a
  // reconcile request on one of its bundles: its annotation, then its status, change.
  const int bundle = 7 % config_.bundles;
  Progress("opening 1000 WatchBundles streams");
  absl::StatusOr<std::unique_ptr<bench::WatchFanout>> fanout =
      bench::WatchFanout::Open({.address = address, .streams = 1000, .watch_namespace = layout_.Namespace(bundle)});
  if (!fanout.ok()) return fanout.status();
  absl::StatusOr<bench::WatchFanoutFigures> fanned = (*fanout)->Measure(
      layout_.Namespace(bundle), layout_.Name(bundle), [&] {
        return admin_
            ->Patch(kube::resources::kWerfBundles, layout_.Namespace(bundle), layout_.Name(bundle),
                    kube::PatchType::kMerge,
                    {{"metadata",
                      {{"annotations",
                        {{"werf.io/reconcile-requested-at", absl::StrCat(absl::ToUnixMicros(absl::Now()))}}}}}})
            .status();
      });
  if (!fanned.ok()) return fanned.status();
  phase["watch_fanout"] = {{"streams", fanned->streams},
                           {"received", fanned->received},
                           {"open_seconds", fanned->open_seconds},
                           {"trigger_to_first_ms", fanned->trigger_to_first_ms},
                           {"trigger_to_last_ms", fanned->trigger_to_last_ms},
                           {"first_to_last_ms", fanned->first_to_last_ms}};
  phase["gateway_rss_mib"] = MiB(SampleProcess(gateway->pid()).rss);
  report_["gateway"] = phase;
  Progress(absl::StrCat("gateway: ", phase.dump()));
  return absl::OkStatus();
}

void ScaleBench::PrintTable() const {
  const json& r = report_;
  const int n = config_.bundles;
  const int repositories = config_.repositories();
  auto value = [&](std::initializer_list<const char*> path) -> std::string {
    const json* node = &r;
    for (const char* key : path) {
      if (!node->is_object() || !node->contains(key)) return "-";
      node = &(*node)[key];
    }
    if (node->is_number_float()) return absl::StrFormat("%.2f", node->get<double>());
    return node->dump();
  };
  std::printf("\nwerf-operator scale benchmark: %d bundles, %d namespaces, %d repositories (%d per repository), "
              "poll interval %llds\n", n, config_.namespaces, repositories, config_.per_repository,
              static_cast<long long>(absl::ToInt64Seconds(config_.interval)));
  std::printf("machine: %s, %s logical CPUs\n\n", value({"machine", "cpu_model"}).c_str(),
              value({"machine", "nproc"}).c_str());
  std::printf("%-58s %14s  %s\n", "figure", "measured", "target");
  auto row = [](const std::string& figure, const std::string& measured, const std::string& target) {
    std::printf("%-58s %14s  %s\n", figure.c_str(), measured.c_str(), target.c_str());
  };
  const char* idle = "idle, 1 poller";
  const json services = r.contains("intervals") && r["intervals"].contains(idle) ? r["intervals"][idle]["services"]
                                                                                 : json::object();
  for (const auto& [service, target] : std::vector<std::pair<std::string, std::string>>{
           {"controller", "<= 64 MiB"}, {"poller-0", "<= 32 MiB"}, {"converger", "<= 64 MiB"}, {"gateway", "<= 64 MiB"}}) {
    if (!services.contains(service)) continue;
    row(absl::StrCat(service, " RSS steady / peak (MiB)"),
        absl::StrFormat("%.0f / %.0f", services[service]["rss_mib"].get<double>(),
                        services[service]["peak_rss_mib"].get<double>()),
        target);
  }
  for (const auto& [service, data] : services.items()) {
    row(absl::StrCat(service, " CPU s per idle interval"), absl::StrFormat("%.2f", data["cpu_seconds"].get<double>()),
        service == "controller" ? absl::StrFormat("<= %.1f (0.1 per 1,000)", 0.1 * n / 1000) : "");
  }
  for (const char* interval : {"idle, 1 poller", "idle, 3 pollers"}) {
    if (!r.contains("intervals") || !r["intervals"].contains(interval)) continue;
    const json& phase = r["intervals"][interval];
    // Named: a range-for over items() of a temporary would outlive the temporary.
    const json registry_requests = phase.value("registry_requests", json::object());
    const json api_requests = phase.value("api_requests", json::object());
    for (const auto& [kind, count] : registry_requests.items()) {
      row(absl::StrCat("[", interval, "] registry: ", kind), count.dump(),
          kind == "tag list" ? absl::StrCat("= ", repositories, " (one per repository and credentials)") : "");
    }
    double ours = 0;
    for (const auto& [key, count] : api_requests.items()) {
      const bool cluster = absl::StrContains(key, " leases") || absl::StrContains(key, " nodes");
      if (!cluster) ours += count.get<double>();
      row(absl::StrCat("[", interval, "] API: ", key), absl::StrFormat("%.0f", count.get<double>()),
          cluster ? "(kwok node heartbeats / leader election)" : "");
    }
    row(absl::StrCat("[", interval, "] API requests, not watch/lease/node"), absl::StrFormat("%.0f", ours), "0");
    row(absl::StrCat("[", interval, "] status writes"), phase["status_writes"].dump(), "0");
    row(absl::StrCat("[", interval, "] Jobs created"), phase["jobs_created"].dump(), "0");
  }
  row("first pass: all bundles created (s)", value({"first_pass", "create_seconds"}), "");
  row("first pass: first create -> last Job created (s)", value({"first_pass", "last_job_seconds"}), "<= 60");
  row("first pass: first create -> all Synced (s)", value({"first_pass", "all_synced_seconds"}), "");
  row("create -> Job p50 / p99 (ms)",
      absl::StrCat(value({"first_pass", "create_to_job_ms", "p50"}), " / ", value({"first_pass", "create_to_job_ms", "p99"})),
      "p99 <= 1000");
  row("new tag -> Job p50 / p99 (ms)",
      absl::StrCat(value({"new_tags", "tag_to_job_ms", "p50"}), " / ", value({"new_tags", "tag_to_job_ms", "p99"})),
      absl::StrCat("p99 <= ", absl::ToInt64Milliseconds(config_.interval) + 1000));
  row("controller restart -> leading (s)", value({"controller_restart", "to_leading_seconds"}), "");
  row("controller restart -> steady (s)", value({"controller_restart", "to_steady_seconds"}), "<= 60");
  row("controller restart: Jobs created", value({"controller_restart", "jobs_created"}), "0");
  row("converger restart -> in-flight bundles Synced (s)", value({"converger_restart", "to_all_synced_seconds"}),
      "<= 30");
  if (r.contains("gateway")) {
    const json& gateway = r["gateway"];
    const std::map<std::string, std::string> targets = {{"GetBundle, random bundle", "p99 <= 2"},
                                                        {"ListBundles, page of 100", "p99 <= 20"}};
    for (const json& s : gateway["scenarios"]) {
      const std::string scenario = s.value("scenario", "");
      const auto target = targets.find(scenario);
      row(absl::StrCat("gateway ", scenario, " p50 / p99 (ms)"),
          absl::StrFormat("%.2f / %.2f", s.value("p50_ms", 0.0), s.value("p99_ms", 0.0)),
          target == targets.end() ? "" : target->second);
      row(absl::StrCat("gateway ", scenario, " req/s, errors"),
          absl::StrFormat("%.0f, %lld", s.value("rps", 0.0), static_cast<long long>(s.value("errors", int64_t{0}))), "");
      row(absl::StrCat("gateway ", scenario, " CPU ms/request: gateway / ghz"),
          absl::StrFormat("%.3f / %.3f", s.value("gateway_cpu_ms", 0.0), s.value("ghz_cpu_ms", 0.0)),
          "(ghz shares the cores)");
    }
    const json fanout = gateway.value("watch_fanout", json::object());
    row("gateway 1,000 watchers: change -> last stream (ms)",
        absl::StrFormat("%.1f", fanout.value("trigger_to_last_ms", -1.0)), "");
    row("gateway 1,000 watchers: first -> last stream (ms)",
        absl::StrFormat("%.1f", fanout.value("first_to_last_ms", -1.0)), "<= 100");
    row("gateway 1,000 watchers: streams that got it",
        absl::StrCat(fanout.value("received", 0), " / ", fanout.value("streams", 0)), "all");
  }
  std::fflush(stdout);
}

int Main() {
  ScaleBench bench{Config{}};
  const absl::Status status = bench.Run();
  bench.PrintTable();
  const char* file = std::getenv("WERF_BENCH_REPORT");
  std::ofstream(file != nullptr ? file : "scale_report.json") << bench.report().dump(2) << "\n";
  bench.StopSystem();
  if (std::getenv("WERF_BENCH_KEEP") == nullptr) (void)testbed::RunCommand({testbed::TestbedScript(), "down"});
  if (!status.ok()) {
    std::cerr << "bench-scale: " << status << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace werf::e2e

int main() { return werf::e2e::Main(); }
