// What the poller benchmark measures about processes and the machine: CPU time
// (ours through getrusage, the registry's through /proc), resident memory and
// its peak (VmRSS, VmHWM), and a description of the machine for the report.
#ifndef WERF_OPERATOR_TEST_BENCH_PROCESS_STATS_H_
#define WERF_OPERATOR_TEST_BENCH_PROCESS_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace werf::bench {

struct CpuTimes {
  double user_seconds = 0;
  double system_seconds = 0;

  double total() const { return user_seconds + system_seconds; }
  CpuTimes operator-(const CpuTimes& other) const {
    return {user_seconds - other.user_seconds, system_seconds - other.system_seconds};
  }
};

// This process, every thread included (getrusage RUSAGE_SELF).
CpuTimes SelfCpu();

// Another process, from /proc/<pid>/stat; nullopt once it is gone.
std::optional<CpuTimes> ProcessCpu(pid_t pid);

// A process recorded in a test bed pid file ("<pid> <start time>"): the pid, when
// the process running under it started at that time (so a recycled pid is never read).
absl::StatusOr<pid_t> PidFromTestbedRecord(const std::string& pid_file);

// A "Vm...:" line of /proc/self/status in bytes (VmRSS, VmHWM); -1 when absent.
int64_t SelfStatusBytes(absl::string_view field);
// The same of another process; -1 once it is gone.
int64_t ProcessStatusBytes(pid_t pid, absl::string_view field);

// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs, Linux >= 4.0),
// so each scenario reports its own peak. False when the kernel refused.
bool ResetPeakRss();

// CPU model, logical CPUs (online and usable by us), memory, kernel, load average.
nlohmann::json MachineDescription();

// The 1, 5 and 15 minute load averages, as /proc/loadavg says.
std::string LoadAverage();

}  // namespace werf::bench

#endif  // WERF_OPERATOR_TEST_BENCH_PROCESS_STATS_H_
