#include "test/support/service_log.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/status_context.h"

namespace werf::test_support {
namespace {

nlohmann::json ParseObject(absl::string_view line) {
  nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  return record.is_object() ? record : nlohmann::json();
}

bool HasMessage(absl::string_view line, absl::string_view message) {
  const nlohmann::json record = ParseObject(line);
  return record.is_object() && record.value("msg", "") == message;
}

}  // namespace

std::vector<nlohmann::json> JsonLines(const ChildProcess& process, ChildProcess::Stream stream) {
  std::vector<nlohmann::json> records;
  for (const std::string& line : process.Lines(stream)) {
    nlohmann::json record = ParseObject(line);
    if (record.is_object()) records.push_back(std::move(record));
  }
  return records;
}

std::vector<std::string> LogLinesWithMessage(const ChildProcess& process, absl::string_view message,
                                             ChildProcess::Stream stream) {
  std::vector<std::string> lines;
  for (const std::string& line : process.Lines(stream)) {
    if (HasMessage(line, message)) lines.push_back(line);
  }
  return lines;
}

absl::StatusOr<nlohmann::json> WaitForLogRecord(ChildProcess& process, absl::string_view message,
                                                absl::Duration timeout, ChildProcess::Stream stream) {
  absl::StatusOr<std::string> line =
      process.WaitForLine(stream, [message](absl::string_view l) { return HasMessage(l, message); }, timeout);
  if (!line.ok()) {
    return common::WithContext(line.status(), absl::StrCat("no log line with \"msg\":\"", message, "\""));
  }
  return ParseObject(*line);
}

absl::StatusOr<ServingLine> WaitForServing(ChildProcess& process, absl::Duration timeout,
                                           ChildProcess::Stream stream) {
  absl::StatusOr<nlohmann::json> record = WaitForLogRecord(process, "serving", timeout, stream);
  if (!record.ok()) return record.status();
  ServingLine serving;
  serving.grpc_address = record->value("grpc_address", "");
  serving.http_address = record->value("http_address", "");
  serving.record = *std::move(record);
  return serving;
}

}  // namespace werf::test_support
