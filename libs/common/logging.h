// Structured JSON-lines logging. One line per record:
//   {"ts":"2026-11-22T02:23:17.123Z","level":"info","service":"poller","msg":"...", <fields>}
// Field values are JSON, so nothing a caller passes can break the line format.
// Secrets must never be passed as fields; the logger cannot tell what is secret.
#ifndef WERF_OPERATOR_LIBS_COMMON_LOGGING_H_
#define WERF_OPERATOR_LIBS_COMMON_LOGGING_H_

#include <functional>
#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

// Lets absl::string_view (Debian's Abseil does not alias std::string_view) be a field value.
template <>
struct nlohmann::adl_serializer<absl::string_view> {
  template <typename BasicJson>
  static void to_json(BasicJson& json, absl::string_view text) {
    json = std::string(text);
  }
};

namespace werf::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning"/"warn", "error"; anything else is an error that quotes it.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
absl::string_view LogLevelName(LogLevel level);

using LogField = std::pair<absl::string_view, nlohmann::json>;
using LogFields = std::initializer_list<LogField>;

// Process-wide configuration; safe to call again (tests do).
void SetLogService(std::string service);
void SetMinLogLevel(LogLevel level);
// Replaces stderr as the destination of complete lines (without the newline). Tests capture with it.
void SetLogSink(std::function<void(absl::string_view line)> sink);
void ResetLogSink();

// Renders one record; exposed for tests.
std::string FormatLogLine(LogLevel level, absl::string_view message, LogFields fields);

void Log(LogLevel level, absl::string_view message, LogFields fields = {});
inline void LogDebug(absl::string_view m, LogFields f = {}) { Log(LogLevel::kDebug, m, f); }
inline void LogInfo(absl::string_view m, LogFields f = {}) { Log(LogLevel::kInfo, m, f); }
inline void LogWarning(absl::string_view m, LogFields f = {}) { Log(LogLevel::kWarning, m, f); }
inline void LogError(absl::string_view m, LogFields f = {}) { Log(LogLevel::kError, m, f); }

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_LOGGING_H_
