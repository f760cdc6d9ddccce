#include "test/bench/process_stats.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace werf::bench {
namespace {

double Seconds(const timeval& time) { return static_cast<double>(time.tv_sec) + time.tv_usec / 1e6; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The fields of /proc/<pid>/stat after the command name, which may hold spaces:
// index 0 is field 3 (state) of proc(5).
std::vector<std::string> StatFieldsAfterName(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return {};
  return absl::StrSplit(absl::string_view(stat).substr(name_end + 1), ' ', absl::SkipEmpty());
}

// The value after "<key>:" on the first line of `text` that starts with it.
std::string LineValue(absl::string_view text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, key)) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, ":")) continue;
    return std::string(absl::StripAsciiWhitespace(line));
  }
  return "";
}

int64_t KilobytesToBytes(absl::string_view value) {
  int64_t kilobytes = 0;
  absl::ConsumeSuffix(&value, " kB");
  return absl::SimpleAtoi(value, &kilobytes) ? kilobytes * 1024 : -1;
}

}  // namespace

CpuTimes SelfCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {Seconds(usage.ru_utime), Seconds(usage.ru_stime)};
}

std::optional<CpuTimes> ProcessCpu(pid_t pid) {
  const std::vector<std::string> fields = StatFieldsAfterName(pid);
  uint64_t utime = 0;
  uint64_t stime = 0;
  // utime and stime are fields 14 and 15 of proc(5), in clock ticks.
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) || !absl::SimpleAtoi(fields[12], &stime)) {
    return std::nullopt;
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return CpuTimes{static_cast<double>(utime) / ticks, static_cast<double>(stime) / ticks};
}

absl::StatusOr<pid_t> PidFromTestbedRecord(const std::string& pid_file) {
  const std::vector<std::string> record =
      absl::StrSplit(ReadFile(pid_file), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  pid_t pid = 0;
  if (record.empty() || !absl::SimpleAtoi(record[0], &pid)) {
    return absl::NotFoundError(absl::StrCat(pid_file, " holds no pid; is the test bed up?"));
  }
  // starttime is field 22 of proc(5).
  const std::vector<std::string> fields = StatFieldsAfterName(pid);
  if (fields.size() < 20 || (record.size() > 1 && fields[19] != record[1])) {
    return absl::NotFoundError(absl::StrCat("the process recorded in ", pid_file, " is gone"));
  }
  return pid;
}

int64_t SelfStatusBytes(absl::string_view field) { return ProcessStatusBytes(getpid(), field); }

int64_t ProcessStatusBytes(pid_t pid, absl::string_view field) {
  const std::string value = LineValue(ReadFile(absl::StrCat("/proc/", pid, "/status")), field);
  return value.empty() ? -1 : KilobytesToBytes(value);
}

bool ResetPeakRss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return clear_refs.good();
}

std::string LoadAverage() {
  const std::vector<std::string> fields =
      absl::StrSplit(ReadFile("/proc/loadavg"), ' ', absl::SkipEmpty());
  return fields.size() >= 3 ? absl::StrCat(fields[0], " ", fields[1], " ", fields[2]) : "";
}

nlohmann::json MachineDescription() {
  const std::string cpuinfo = ReadFile("/proc/cpuinfo");
  const std::string meminfo = ReadFile("/proc/meminfo");
  cpu_set_t affinity;
  CPU_ZERO(&affinity);
  const int usable = sched_getaffinity(0, sizeof(affinity), &affinity) == 0 ? CPU_COUNT(&affinity) : -1;
  utsname uts{};
  uname(&uts);
  return {
      {"cpu_model", LineValue(cpuinfo, "model name")},
      {"cpu_mhz", LineValue(cpuinfo, "cpu MHz")},
      {"logical_cpus", std::thread::hardware_concurrency()},
      {"nproc", usable},
      {"memory_bytes", KilobytesToBytes(LineValue(meminfo, "MemTotal"))},
      {"kernel", absl::StrCat(uts.sysname, " ", uts.release, " ", uts.machine)},
  };
}

}  // namespace werf::bench
