// Command-line flags shared by every service, and parsing with an environment
// fallback: `--grpc_address` may also come from WERF_GRPC_ADDRESS. Precedence is
// command line, then environment, then the default, as container users expect.
#ifndef WERF_OPERATOR_LIBS_COMMON_FLAGS_H_
#define WERF_OPERATOR_LIBS_COMMON_FLAGS_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, grpc_address);
ABSL_DECLARE_FLAG(std::string, http_address);
ABSL_DECLARE_FLAG(std::string, kubeconfig);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(absl::Duration, drain_timeout);

namespace werf::common {

// WERF_ + the flag name in upper case: grpc_address -> WERF_GRPC_ADDRESS.
std::string EnvironmentVariableForFlag(absl::string_view flag_name);

// Sets every registered flag whose environment variable is present. Returns an
// error naming the variable when a value does not parse.
absl::Status ApplyFlagEnvironment();

// ApplyFlagEnvironment, then absl::ParseCommandLine (which exits on --help or a bad
// flag, as every absl binary does). Returns the positional arguments.
std::vector<char*> ParseFlagsWithEnvironment(int argc, char** argv, absl::string_view usage);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_FLAGS_H_
