#include "test/bench/ghz.h"

#include <sys/resource.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::bench {
namespace {

// CPU time of the waited-for children of this process so far.
absl::Duration ChildrenCpu() {
  rusage usage{};
  if (::getrusage(RUSAGE_CHILDREN, &usage) != 0) return absl::ZeroDuration();
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

}  // namespace

absl::StatusOr<GhzFigures> RunGhz(const GhzRun& run) {
  const std::vector<std::string> argv = {"ghz", "--insecure", "--call", run.method, "-d", run.request.dump(),
                                         "-c", std::to_string(run.concurrency), "--connections",
                                         std::to_string(run.connections), "-n", std::to_string(run.total),
                                         "--format", "json", run.address};
  const absl::Duration cpu_before = ChildrenCpu();
  absl::StatusOr<testbed::CommandResult> ran =
      testbed::RunCommand(argv, {.stdin_data = "", .timeout = absl::Minutes(10), .env = {}, .working_dir = ""});
  if (!ran.ok()) return ran.status();
  const absl::Duration ghz_cpu = ChildrenCpu() - cpu_before;
  const nlohmann::json report = nlohmann::json::parse(ran->out, nullptr, false);
  if (!report.is_object()) {
    return absl::InternalError(absl::StrCat("ghz printed no report (exit ", ran->exit_code, "): ", ran->err));
  }
  GhzFigures figures;
  figures.count = report.value("count", int64_t{0});
  figures.rps = report.value("rps", 0.0);
  figures.average_ms = report.value("average", 0.0) / 1e6;
  for (const nlohmann::json& bucket : report.value("latencyDistribution", nlohmann::json::array())) {
    if (bucket.value("percentage", 0) == 50) figures.p50_ms = bucket.value("latency", 0.0) / 1e6;
    if (bucket.value("percentage", 0) == 99) figures.p99_ms = bucket.value("latency", 0.0) / 1e6;
  }
  const nlohmann::json codes = report.value("statusCodeDistribution", nlohmann::json::object());
  for (const auto& [code, n] : codes.items()) {
    if (code != "OK" && n.is_number_integer()) figures.errors += n.get<int64_t>();
  }
  if (figures.count > 0) figures.ghz_cpu_ms = absl::ToDoubleMilliseconds(ghz_cpu) / figures.count;
  return figures;
}

}  // namespace werf::bench
