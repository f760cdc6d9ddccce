// bench-gateway: how fast the gateway answers from its cache, measured with ghz against
// the real binary. Fills a namespace of the test bed with --bundles WerfBundles (with
// labels and a realistic status: conditions, history), starts werf-gateway on it, and
// runs ghz on ListBundles (default and maximum pages, a label-selector scan) and
// GetBundle. Prints p50/p99 latency, requests/s and the gateway's memory, and writes
// them as JSON to --report.
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/rest_client.h"
#include "services/gateway/integration/gateway_test_support.h"
#include "test/bench/ghz.h"
#include "test/support/crd.h"

ABSL_FLAG(int, bundles, 10000, "WerfBundles to create");
ABSL_FLAG(int, create_threads, 16, "parallel API requests while creating them");
ABSL_FLAG(int, concurrency, 50, "ghz --concurrency");
ABSL_FLAG(int, connections, 4, "ghz --connections");
ABSL_FLAG(int, requests, 20000,
          "ghz --total for GetBundle; a quarter of it for ListBundles pages of 100 and the "
          "selector scan, a fortieth for pages of 1000 (each moves 10 times the bytes)");
ABSL_FLAG(bool, keep_namespace, false, "leave the namespace and its bundles in place");
ABSL_FLAG(std::string, namespace, "",
          "use this namespace's existing bundles (from an earlier --keep_namespace run) instead "
          "of creating a fresh namespace; it is left in place");
ABSL_FLAG(std::string, report, "", "write the figures as JSON to this file");

namespace werf::gateway::bench {
namespace {

using testing::GatewayProcess;

constexpr char kPhases[][8] = {"Synced", "Synced", "Synced", "Syncing", "Failed"};

nlohmann::json BundleObject(const std::string& ns, int i) {
  return {{"apiVersion", "werf.io/v1alpha1"},
          {"kind", "WerfBundle"},
          {"metadata",
           {{"namespace", ns},
            {"name", absl::StrCat("bundle-", i)},
            {"labels", {{"team", absl::StrCat("team-", i % 20)}, {"tier", i % 3 == 0 ? "prod" : "dev"}}}}},
          {"spec",
           {{"registry",
             {{"url", absl::StrCat("registry.example.com/team-", i % 20, "/app-", i)},
              {"versionConstraint", ">=1.0 <3"},
              {"pollInterval", "15m"}}},
            {"converge", {{"serviceAccountName", "deployer"}}}}}};
}

nlohmann::json BundleStatus(int i) {
  const std::string phase = kPhases[i % 5];
  const std::string applied = absl::StrCat("1.", i % 40, ".0");
  const std::string latest = phase == "Synced" ? applied : absl::StrCat("1.", i % 40 + 1, ".0");
  nlohmann::json history = nlohmann::json::array();
  for (int h = 0; h < 3; ++h) {
    history.push_back({{"tag", absl::StrCat("1.", i % 40 - h, ".0")},
                       {"digest", absl::StrCat("sha256:", std::string(64, static_cast<char>('a' + h)))},
                       {"jobName", absl::StrCat("bundle-", i, "-", h, "-5f1c2e")},
                       {"startedAt", "2026-01-02T03:00:00Z"},
                       {"finishedAt", "2026-01-02T03:01:00Z"},
                       {"result", h == 0 && phase == "Failed" ? "Failed" : "Succeeded"},
                       {"message", h == 0 && phase == "Failed" ? "werf bundle apply exited 1" : "deployed"}});
  }
  nlohmann::json conditions = nlohmann::json::array();
  for (const char* type : {"Ready", "Reconciling", "RegistryReachable"}) {
    conditions.push_back({{"type", type},
                          {"status", phase == "Synced" ? "True" : "False"},
                          {"reason", "Benchmark"},
                          {"message", "written by bench-gateway"},
                          {"observedGeneration", 1},
                          {"lastTransitionTime", "2026-01-02T03:04:05Z"}});
  }
  nlohmann::json status = {{"phase", phase},
                           {"observedGeneration", 1},
                           {"latestTag", latest},
                           {"lastAppliedTag", applied},
                           {"lastAppliedDigest", absl::StrCat("sha256:", std::string(64, 'a'))},
                           {"lastSyncTime", "2026-01-02T03:04:05Z"},
                           {"consecutiveFailures", phase == "Failed" ? 5 : 0},
                           {"conditions", conditions},
                           {"history", history}};
  if (phase == "Failed") status["lastErrorMessage"] = "werf bundle apply exited 1: release failed";
  return status;
}

absl::StatusOr<std::shared_ptr<kube::RestClient>> AdminClient() {
  absl::StatusOr<const testbed::TestbedEnv*> env = testbed::EnsureTestbed();
  if (!env.ok()) return env.status();
  absl::StatusOr<kube::ClusterConfig> config = kube::LoadKubeconfig((*env)->Value("KUBECONFIG"));
  if (!config.ok()) return config.status();
  return kube::RestClient::Create(*config, {.qps = 5000, .burst = 5000, .timeout = absl::Seconds(60)});
}

// Runs `work(i)` for i in [0, count) on `threads` threads; the first error stops it.
absl::Status ForEachInParallel(int count, int threads, const std::function<absl::Status(int)>& work) {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  absl::Mutex mu;
  absl::Status first_error;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next.fetch_add(1); i < count && !failed.load(); i = next.fetch_add(1)) {
        if (absl::Status status = work(i); !status.ok()) {
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = status;
          failed.store(true);
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return first_error;
}

absl::Status CreateBundles(kube::RestClient& client, const std::string& ns, int count, int threads) {
  std::atomic<int> done{0};
  return ForEachInParallel(count, threads, [&](int i) -> absl::Status {
    absl::StatusOr<nlohmann::json> created = client.Create(kube::resources::kWerfBundles, ns, BundleObject(ns, i));
    if (!created.ok()) return created.status();
    (*created)["status"] = BundleStatus(i);
    absl::Status updated = client.UpdateStatus(kube::resources::kWerfBundles, ns, *created).status();
    if (updated.ok() && (done.fetch_add(1) + 1) % 1000 == 0) std::fprintf(stderr, "  %d bundles\n", done.load());
    return updated;
  });
}

// A controller running elsewhere on a shared test bed may have put finalizers on the
// bundles; without it they would keep the namespace from ever going away.
absl::Status DropFinalizers(kube::RestClient& client, const std::string& ns, int threads) {
  absl::StatusOr<kube::ListResult> listed = client.ListAll(kube::resources::kWerfBundles, ns);
  if (!listed.ok()) return listed.status();
  std::vector<std::string> names;
  for (const nlohmann::json& item : listed->items) {
    if (item["metadata"].contains("finalizers")) names.push_back(item["metadata"].value("name", ""));
  }
  return ForEachInParallel(static_cast<int>(names.size()), threads, [&](int i) {
    return client
        .Patch(kube::resources::kWerfBundles, ns, names[i], kube::PatchType::kMerge,
               {{"metadata", {{"finalizers", nullptr}}}})
        .status();
  });
}

struct Figures {
  std::string scenario;
  int64_t count = 0;
  int64_t errors = 0;
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double average_ms = 0;
  double gateway_cpu_ms = 0;  // the gateway's CPU time per request (ghz's own is not in it)
  double ghz_cpu_ms = 0;      // ghz's own, on the same cores
};

absl::StatusOr<Figures> RunGhz(const std::string& scenario, const std::string& address,
                               const std::string& method, const nlohmann::json& request, int total) {
  absl::StatusOr<::werf::bench::GhzFigures> ran = ::werf::bench::RunGhz({.address = address,
                                                         .method = absl::StrCat("werf.operator.v1.BundleService/", method),
                                                         .request = request,
                                                         .total = total,
                                                         .concurrency = absl::GetFlag(FLAGS_concurrency),
                                                         .connections = absl::GetFlag(FLAGS_connections)});
  if (!ran.ok()) return ran.status();
  return Figures{.scenario = scenario,
                 .count = ran->count,
                 .errors = ran->errors,
                 .rps = ran->rps,
                 .p50_ms = ran->p50_ms,
                 .p99_ms = ran->p99_ms,
                 .average_ms = ran->average_ms,
                 .ghz_cpu_ms = ran->ghz_cpu_ms};
}

int Run() {
  const int bundles = absl::GetFlag(FLAGS_bundles);
  absl::StatusOr<const testbed::TestbedEnv*> env = testbed::EnsureTestbed();
  if (!env.ok()) {
    std::fprintf(stderr, "test bed: %s\n", env.status().ToString().c_str());
    return 1;
  }
  if (absl::Status crd = test_support::InstallWerfBundleCrd(); !crd.ok()) {
    std::fprintf(stderr, "CRD: %s\n", crd.ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::shared_ptr<kube::RestClient>> client = AdminClient();
  if (!client.ok()) {
    std::fprintf(stderr, "client: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const int threads = absl::GetFlag(FLAGS_create_threads);
  std::unique_ptr<testing::TestNamespace> ns;  // null when reusing --namespace
  std::string name = absl::GetFlag(FLAGS_namespace);
  absl::Duration create_time;
  if (name.empty()) {
    absl::StatusOr<std::unique_ptr<testing::TestNamespace>> created = testing::TestNamespace::Create("gw-bench");
    if (!created.ok()) {
      std::fprintf(stderr, "namespace: %s\n", created.status().ToString().c_str());
      return 1;
    }
    ns = *std::move(created);
    name = ns->name();
    std::fprintf(stderr, "creating %d WerfBundles with status in namespace %s\n", bundles, name.c_str());
    const absl::Time create_start = absl::Now();
    if (absl::Status filled = CreateBundles(**client, name, bundles, threads); !filled.ok()) {
      std::fprintf(stderr, "creating bundles: %s\n", filled.ToString().c_str());
      return 1;
    }
    create_time = absl::Now() - create_start;
  }

  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
      GatewayProcess::Start({absl::StrCat("--watch_namespace=", name)});
  if (!gateway.ok()) {
    std::fprintf(stderr, "gateway: %s\n", gateway.status().ToString().c_str());
    return 1;
  }
  const absl::Duration ready_time = absl::Now() - start;
  absl::StatusOr<testing::HttpAnswer> summary =
      testing::CurlGet((*gateway)->http_address(), absl::StrCat("/v1/summary?namespace=", name));
  const int cached = summary.ok() ? summary->json["total"].value("total", 0) : -1;
  const int64_t rss_idle = (*gateway)->MemoryBytes("VmRSS").value_or(-1);

  const std::string address = (*gateway)->grpc_address();
  const int total = absl::GetFlag(FLAGS_requests);
  (void)RunGhz("warm-up", address, "GetBundle", {{"namespace", name}, {"name", "bundle-1"}}, 2000);
  std::vector<Figures> results;
  const struct {
    std::string scenario;
    std::string method;
    nlohmann::json request;
    int total;
  } scenarios[] = {
      {"ListBundles, page of 100", "ListBundles", {{"namespace", name}}, total / 4},
      {"ListBundles, page of 1000", "ListBundles", {{"namespace", name}, {"page_size", 1000}}, total / 40},
      {"ListBundles, selector scan (50 hits)", "ListBundles",
       {{"namespace", name}, {"label_selector", "team=team-7,tier in (prod)"}}, total / 4},
      {"GetBundle, random bundle", "GetBundle",
       {{"namespace", name}, {"name", absl::StrCat("bundle-{{mod .RequestNumber ", bundles, "}}")}}, total},
  };
  for (const auto& s : scenarios) {
    std::fprintf(stderr, "ghz: %s (%d requests)\n", s.scenario.c_str(), s.total);
    const absl::Duration cpu_before = (*gateway)->CpuTime().value_or(absl::ZeroDuration());
    absl::StatusOr<Figures> figures = RunGhz(s.scenario, address, s.method, s.request, s.total);
    if (!figures.ok()) {
      std::fprintf(stderr, "ghz %s: %s\n", s.scenario.c_str(), figures.status().ToString().c_str());
      return 1;
    }
    const absl::Duration cpu = (*gateway)->CpuTime().value_or(absl::ZeroDuration()) - cpu_before;
    if (figures->count > 0) figures->gateway_cpu_ms = absl::ToDoubleMilliseconds(cpu) / figures->count;
    results.push_back(*figures);
  }
  const int64_t rss_after = (*gateway)->MemoryBytes("VmRSS").value_or(-1);
  const int64_t rss_peak = (*gateway)->MemoryBytes("VmHWM").value_or(-1);

  std::printf("\nwerf-gateway benchmark: %d WerfBundles (%d cached), ghz -c %d --connections %d\n",
              bundles, cached, absl::GetFlag(FLAGS_concurrency), absl::GetFlag(FLAGS_connections));
  if (ns != nullptr) {
    std::printf("created in %s; ", absl::FormatDuration(absl::Trunc(create_time, absl::Milliseconds(1))).c_str());
  }
  std::printf("gateway ready (first list cached) %s after start\n\n",
              absl::FormatDuration(absl::Trunc(ready_time, absl::Milliseconds(1))).c_str());
  std::printf("%-38s %8s %9s %9s %9s %11s %7s %14s %10s\n", "scenario", "requests", "p50 ms", "p99 ms",
              "avg ms", "requests/s", "errors", "gateway CPU ms", "ghz CPU ms");
  nlohmann::json report = {{"bundles", bundles},
                           {"concurrency", absl::GetFlag(FLAGS_concurrency)},
                           {"connections", absl::GetFlag(FLAGS_connections)},
                           {"namespace", name},
                           {"create_seconds", absl::ToDoubleSeconds(create_time)},
                           {"ready_seconds", absl::ToDoubleSeconds(ready_time)},
                           {"rss_idle_bytes", rss_idle},
                           {"rss_after_bytes", rss_after},
                           {"rss_peak_bytes", rss_peak},
                           {"scenarios", nlohmann::json::array()}};
  for (const Figures& f : results) {
    std::printf("%-38s %8lld %9.2f %9.2f %9.2f %11.0f %7lld %14.3f %10.3f\n", f.scenario.c_str(),
                static_cast<long long>(f.count), f.p50_ms, f.p99_ms, f.average_ms, f.rps,
                static_cast<long long>(f.errors), f.gateway_cpu_ms, f.ghz_cpu_ms);
    report["scenarios"].push_back({{"scenario", f.scenario}, {"p50_ms", f.p50_ms}, {"p99_ms", f.p99_ms},
                                   {"average_ms", f.average_ms}, {"rps", f.rps}, {"errors", f.errors},
                                   {"count", f.count}, {"gateway_cpu_ms_per_request", f.gateway_cpu_ms},
                                   {"ghz_cpu_ms_per_request", f.ghz_cpu_ms}});
  }
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) == 3) report["load_average_1m"] = load[0];
  std::printf("\n%d CPUs, load average %.2f (ghz and the gateway share them)\n",
              static_cast<int>(std::thread::hardware_concurrency()), load[0]);
  std::printf("gateway RSS: %.1f MiB with the cache loaded, %.1f MiB after the runs, %.1f MiB peak\n",
              rss_idle / 1048576.0, rss_after / 1048576.0, rss_peak / 1048576.0);
  if (const std::string path = absl::GetFlag(FLAGS_report); !path.empty()) {
    std::ofstream(path) << report.dump(2) << "\n";
    std::printf("figures written to %s\n", path.c_str());
  }
  if (ns == nullptr || absl::GetFlag(FLAGS_keep_namespace)) {
    std::printf("keeping namespace %s\n", name.c_str());
    (void)ns.release();  // deliberately not deleted
  } else if (absl::Status dropped = DropFinalizers(**client, name, threads); !dropped.ok()) {
    std::fprintf(stderr, "dropping finalizers: %s\n", dropped.ToString().c_str());
  }
  return 0;
}

}  // namespace
}  // namespace werf::gateway::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return werf::gateway::bench::Run();
}
