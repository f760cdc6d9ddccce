#include "libs/common/logging.h"

#include <atomic>
#include <iostream>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace werf::common {
namespace {

struct LogConfig {
  std::mutex mu;
  std::string service = "werf-operator";
  std::function<void(absl::string_view)> sink;
};

LogConfig& Config() {
  static auto* config = new LogConfig();  // never destroyed: threads may log during exit
  return *config;
}

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warning" || lower == "warn") return LogLevel::kWarning;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid log level \"", text, "\": use debug, info, warning or error"));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void SetLogService(std::string service) {
  std::lock_guard<std::mutex> lock(Config().mu);
  Config().service = std::move(service);
}

void SetMinLogLevel(LogLevel level) { min_level.store(static_cast<int>(level)); }

void SetLogSink(std::function<void(absl::string_view)> sink) {
  std::lock_guard<std::mutex> lock(Config().mu);
  Config().sink = std::move(sink);
}

void ResetLogSink() { SetLogSink(nullptr); }

std::string FormatLogLine(LogLevel level, absl::string_view message, LogFields fields) {
  nlohmann::ordered_json line;
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = std::string(LogLevelName(level));
  {
    std::lock_guard<std::mutex> lock(Config().mu);
    line["service"] = Config().service;
  }
  line["msg"] = std::string(message);
  for (const auto& [key_view, value] : fields) {
    const std::string key(key_view);
    // Reserved keys keep their meaning; a clashing field is kept under a prefixed name.
    if (line.contains(key)) {
      line[absl::StrCat("field.", key)] = value;
    } else {
      line[key] = value;
    }
  }
  // Invalid UTF-8 (e.g. a registry's garbage body) is replaced, never thrown on.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Log(LogLevel level, absl::string_view message, LogFields fields) {
  if (static_cast<int>(level) < min_level.load()) return;
  const std::string line = FormatLogLine(level, message, fields);
  std::lock_guard<std::mutex> lock(Config().mu);
  if (Config().sink) {
    Config().sink(line);
  } else {
    std::cerr << line << '\n' << std::flush;
  }
}

}  // namespace werf::common
