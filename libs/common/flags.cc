#include "libs/common/flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, grpc_address, "0.0.0.0:9090",
          "host:port the gRPC server listens on; port 0 picks a free port (logged at start)");
ABSL_FLAG(std::string, http_address, "0.0.0.0:8080",
          "host:port for /healthz, /readyz and /metrics; port 0 picks a free port (logged at start)");
ABSL_FLAG(std::string, kubeconfig, "",
          "path to a kubeconfig; empty means the in-cluster configuration");
ABSL_FLAG(std::string, log_level, "info", "minimum log level: debug, info, warning, error");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "on SIGTERM, how long in-flight calls may run before they are cancelled");

namespace werf::common {

std::string EnvironmentVariableForFlag(absl::string_view flag_name) {
  return absl::StrCat("WERF_", absl::AsciiStrToUpper(flag_name));
}

absl::Status ApplyFlagEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string variable = EnvironmentVariableForFlag(name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "environment variable ", variable, " does not parse as --", name, ": ", error));
    }
  }
  return absl::OkStatus();
}

std::vector<char*> ParseFlagsWithEnvironment(int argc, char** argv, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  if (absl::Status status = ApplyFlagEnvironment(); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    std::exit(2);
  }
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace werf::common
