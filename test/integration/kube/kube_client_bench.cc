// Informer benchmark against the test bed (not a test: no assertions on timings).
//
// Creates N Widgets (the test CRD, objects shaped like a WerfBundle) in a fresh namespace
// from parallel threads, then measures
//   1. the informer's initial sync: seconds, list requests, and the process's peak RSS
//      (VmHWM, reset just before the informer starts, so it is the informer's peak);
//   2. sustained watch throughput: writer threads patch objects as fast as they can for a
//      while and the informer counts the update events it receives per second.
// Prints one JSON report on stdout (progress on stderr), so reruns can be compared.
//
//   kube_client_bench [--objects=10000] [--create_threads=16] [--watch_seconds=10]
//                     [--writers=1] [--page_size=500]
// Each flag may also come from the environment: KUBE_BENCH_OBJECTS, KUBE_BENCH_WRITERS, ...
// `cmake --build build --target bench-kube` builds and runs it (KUBE_BENCH_* pass through).
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "libs/common/logging.h"
#include "libs/kube/informer.h"
#include "libs/kube/rest_client.h"
#include "test/integration/kube/kube_test_support.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::kube_test {
namespace {

struct Settings {
  int objects = 10000;
  int create_threads = 16;
  int watch_seconds = 10;
  int writers = 1;
  int page_size = 500;
};

// --name=value on the command line, else KUBE_BENCH_NAME in the environment, else the default.
bool ReadSettings(int argc, char** argv, Settings& settings) {
  std::map<std::string, int*> fields = {{"objects", &settings.objects},
                                        {"create_threads", &settings.create_threads},
                                        {"watch_seconds", &settings.watch_seconds},
                                        {"writers", &settings.writers},
                                        {"page_size", &settings.page_size}};
  for (auto& [name, field] : fields) {
    const char* env = getenv(absl::AsciiStrToUpper(absl::StrCat("KUBE_BENCH_", name)).c_str());
    if (env != nullptr && *env != '\0' && !absl::SimpleAtoi(env, field)) {
      std::cerr << "KUBE_BENCH_" << absl::AsciiStrToUpper(name) << " is not an integer\n";
      return false;
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t equals = arg.find('=');
    const auto field = equals == std::string::npos ? fields.end() : fields.find(arg.substr(2, equals - 2));
    if (!absl::StartsWith(arg, "--") || field == fields.end() ||
        !absl::SimpleAtoi(arg.substr(equals + 1), field->second)) {
      std::cerr << "usage: kube_client_bench [--objects=N] [--create_threads=N] [--watch_seconds=N] "
                   "[--writers=N] [--page_size=N]\n";
      return false;
    }
  }
  return settings.objects > 0 && settings.create_threads > 0 && settings.writers > 0 && settings.watch_seconds > 0;
}

// A field of /proc/self/status or /proc/meminfo, in bytes ("VmHWM:   12345 kB").
int64_t ProcKilobytesField(const std::string& file, absl::string_view field) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, field)) continue;
    std::string value(absl::StripAsciiWhitespace(absl::string_view(line).substr(field.size() + 1)));
    if (absl::EndsWith(value, " kB")) value.resize(value.size() - 3);
    int64_t kilobytes = 0;
    return absl::SimpleAtoi(value, &kilobytes) ? kilobytes * 1024 : -1;
  }
  return -1;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "model name")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return "";
}

// Shaped like a WerfBundle, so the per-object memory is representative.
nlohmann::json BenchWidget(int index) {
  return Widget(absl::StrFormat("bundle-%05d", index),
                {{"v", 0},
                 {"registry",
                  {{"url", absl::StrFormat("registry.example.com/team-%d/app-%05d", index % 50, index)},
                   {"secretRef", {{"name", "registry-credentials"}}},
                   {"pollInterval", "15m"},
                   {"versionConstraint", ">=1.2.0 <2.0.0"}}},
                 {"converge",
                  {{"targetNamespace", absl::StrFormat("app-%05d", index)},
                   {"serviceAccountName", "werf-deployer"},
                   {"resourceLimits", {{"cpu", "500m"}, {"memory", "512Mi"}}},
                   {"logRetentionDays", 7},
                   {"driftDetection", {{"enabled", true}, {"interval", "15m"}, {"maxRetries", 3}}}}}},
                {{"app.kubernetes.io/name", "bench"}, {"bench.werf.io/shard", absl::StrCat(index % 16)}});
}

void Progress(const std::string& message) { std::cerr << "kube_client_bench: " << message << std::endl; }

int Run(const Settings& settings) {
  common::SetMinLogLevel(common::LogLevel::kWarning);
  absl::StatusOr<const testbed::TestbedEnv*> testbed_env = testbed::EnsureTestbed();
  if (!testbed_env.ok()) {
    std::cerr << "the test bed is not available: " << testbed_env.status() << "\n";
    return 1;
  }
  absl::StatusOr<std::shared_ptr<kube::RestClient>> setup = UnthrottledAdminClient();
  if (!setup.ok()) {
    std::cerr << setup.status() << "\n";
    return 1;
  }
  if (absl::Status crd = EnsureWidgetCrd(**setup); !crd.ok()) {
    std::cerr << crd << "\n";
    return 1;
  }
  ScopedNamespace ns("kube-bench");
  if (!ns.ok()) {
    std::cerr << ns.status() << "\n";
    return 1;
  }

  Progress(absl::StrCat("creating ", settings.objects, " widgets in ", ns.name(), " from ", settings.create_threads,
                        " threads"));
  const absl::Time create_start = absl::Now();
  if (absl::Status created =
          CreateInParallel(**setup, kWidgets, ns.name(), settings.objects, settings.create_threads, BenchWidget);
      !created.ok()) {
    std::cerr << created << "\n";
    return 1;
  }
  const double create_seconds = absl::ToDoubleSeconds(absl::Now() - create_start);

  // The informer gets its own client with the library's default limits, as a service has.
  absl::StatusOr<std::shared_ptr<kube::RestClient>> informer_client = AdminClient();
  if (!informer_client.ok()) {
    std::cerr << informer_client.status() << "\n";
    return 1;
  }
  const int64_t rss_before = ProcKilobytesField("/proc/self/status", "VmRSS");
  // "5" resets VmHWM to the current RSS, so the peak below is the informer's.
  const bool peak_reset = [] {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
    clear_refs.flush();
    return static_cast<bool>(clear_refs);
  }();

  std::atomic<int64_t> adds{0};
  std::atomic<int64_t> updates{0};
  kube::Informer informer(*informer_client, kube::InformerOptions{.resource = kWidgets,
                                                                  .ns = ns.name(),
                                                                  .list_page_size = settings.page_size});
  kube::InformerHandlers counters;
  counters.on_add = [&](const kube::ObjectPtr&) { adds.fetch_add(1, std::memory_order_relaxed); };
  counters.on_update = [&](const kube::ObjectPtr&, const kube::ObjectPtr&) {
    updates.fetch_add(1, std::memory_order_relaxed);
  };
  informer.AddHandlers(counters);
  Progress("initial sync");
  const int64_t requests_before_sync = (*informer_client)->requests_sent();
  const absl::Time sync_start = absl::Now();
  informer.Start();
  if (!informer.WaitForSync(absl::Minutes(10))) {
    std::cerr << "the informer did not sync within 10 minutes\n";
    return 1;
  }
  const double sync_seconds = absl::ToDoubleSeconds(absl::Now() - sync_start);
  const int64_t sync_requests = (*informer_client)->requests_sent() - requests_before_sync;
  const int64_t peak_after_sync = ProcKilobytesField("/proc/self/status", "VmHWM");
  const int64_t rss_after_sync = ProcKilobytesField("/proc/self/status", "VmRSS");
  const size_t synced_objects = informer.store().Size();

  Progress(absl::StrCat("watch throughput: ", settings.writers, " writer thread(s) for ", settings.watch_seconds, " s"));
  std::atomic<bool> stop_writing{false};
  std::atomic<int64_t> writes{0};
  std::atomic<int64_t> write_errors{0};
  std::atomic<int> next_object{0};
  const int64_t updates_before = updates.load();
  const absl::Time watch_start = absl::Now();
  std::vector<std::thread> writers;
  for (int w = 0; w < settings.writers; ++w) {
    writers.emplace_back([&] {
      while (!stop_writing.load()) {
        const int i = next_object.fetch_add(1) % settings.objects;
        const absl::Status patched =
            (*setup)
                ->Patch(kWidgets, ns.name(), absl::StrFormat("bundle-%05d", i), kube::PatchType::kMerge,
                        {{"spec", {{"v", writes.load() + 1}}}})
                .status();
        (patched.ok() ? writes : write_errors).fetch_add(1);
      }
    });
  }
  absl::SleepFor(absl::Seconds(settings.watch_seconds));
  const int64_t updates_in_window = updates.load() - updates_before;
  const double window_seconds = absl::ToDoubleSeconds(absl::Now() - watch_start);
  stop_writing.store(true);
  for (std::thread& writer : writers) writer.join();
  // Every write must arrive; how long the tail takes shows whether the watch kept up.
  const absl::Time drain_start = absl::Now();
  while (updates.load() - updates_before < writes.load() && absl::Now() - drain_start < absl::Seconds(60)) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const double drain_seconds = absl::ToDoubleSeconds(absl::Now() - drain_start);
  const int64_t updates_total = updates.load() - updates_before;
  informer.Stop();

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const nlohmann::json report = {
      {"benchmark", "werf_kube informer"},
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone())},
      {"machine",
       {{"nproc", sysconf(_SC_NPROCESSORS_ONLN)},
        {"cpu", CpuModel()},
        {"memory_bytes", ProcKilobytesField("/proc/meminfo", "MemTotal")}}},
      {"settings",
       {{"objects", settings.objects},
        {"object_json_bytes", BenchWidget(0).dump().size()},
        {"create_threads", settings.create_threads},
        {"page_size", settings.page_size},
        {"writers", settings.writers},
        {"watch_seconds", settings.watch_seconds}}},
      {"create", {{"seconds", create_seconds}, {"objects_per_second", settings.objects / create_seconds}}},
      {"initial_sync",
       {{"seconds", sync_seconds},
        {"objects", synced_objects},
        {"add_events", adds.load()},
        {"list_requests", sync_requests},
        {"rss_before_bytes", rss_before},
        {"rss_after_bytes", rss_after_sync},
        {"peak_rss_bytes", peak_after_sync},
        {"peak_rss_is_informer_only", peak_reset},
        {"process_max_rss_bytes", static_cast<int64_t>(usage.ru_maxrss) * 1024}}},
      {"watch",
       {{"window_seconds", window_seconds},
        {"writes", writes.load()},
        {"write_errors", write_errors.load()},
        {"events_in_window", updates_in_window},
        {"events_per_second", updates_in_window / window_seconds},
        {"events_total", updates_total},
        {"all_writes_delivered", updates_total >= writes.load()},
        {"drain_seconds", drain_seconds}}},
  };
  std::cout << report.dump(2) << std::endl;
  Progress(absl::StrCat("deleting namespace ", ns.name(), " (in the background)"));
  return synced_objects == static_cast<size_t>(settings.objects) ? 0 : 1;
}

}  // namespace
}  // namespace werf::kube_test

int main(int argc, char** argv) {
  werf::kube_test::Settings settings;
  if (!werf::kube_test::ReadSettings(argc, argv, settings)) return 2;
  return werf::kube_test::Run(settings);
}
