// The operator's binaries log one JSON object per line; a test reads them from the
// ChildProcess running the binary. The line {"msg":"serving","grpc_address":...,
// "http_address":...} says the servers listen, and on which ports (they are started with
// port 0).
#ifndef WERF_OPERATOR_TEST_SUPPORT_SERVICE_LOG_H_
#define WERF_OPERATOR_TEST_SUPPORT_SERVICE_LOG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "test/support/child_process.h"

namespace werf::test_support {

// Every line of `stream` that is a JSON object, parsed (other lines skipped).
std::vector<nlohmann::json> JsonLines(const ChildProcess& process,
                                      ChildProcess::Stream stream = ChildProcess::Stream::kStderr);

// The lines (as text) whose "msg" is `message`.
std::vector<std::string> LogLinesWithMessage(const ChildProcess& process, absl::string_view message,
                                             ChildProcess::Stream stream = ChildProcess::Stream::kStderr);

// The first record whose "msg" is `message`, waiting up to `timeout` for it.
absl::StatusOr<nlohmann::json> WaitForLogRecord(ChildProcess& process, absl::string_view message,
                                                absl::Duration timeout,
                                                ChildProcess::Stream stream = ChildProcess::Stream::kStderr);

// What the "serving" line announced.
struct ServingLine {
  std::string grpc_address{};
  std::string http_address{};
  nlohmann::json record{};
};
absl::StatusOr<ServingLine> WaitForServing(ChildProcess& process, absl::Duration timeout,
                                           ChildProcess::Stream stream = ChildProcess::Stream::kStderr);

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_SERVICE_LOG_H_
