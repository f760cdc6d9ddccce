// The gateway's own flags (the common ones are in libs/common/flags.h), read once
// and validated. Each may also be set as WERF_<FLAG_NAME>, e.g. WERF_AUTH=true.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_GATEWAY_FLAGS_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_GATEWAY_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(bool, auth);
ABSL_DECLARE_FLAG(absl::Duration, auth_cache_ttl);
ABSL_DECLARE_FLAG(std::vector<std::string>, auth_token_audiences);
ABSL_DECLARE_FLAG(std::vector<std::string>, cors_allowed_origins);
ABSL_DECLARE_FLAG(int, max_page_size);
ABSL_DECLARE_FLAG(int, max_watches);
ABSL_DECLARE_FLAG(absl::Duration, watch_heartbeat_interval);
ABSL_DECLARE_FLAG(absl::Duration, watch_reauth_interval);
ABSL_DECLARE_FLAG(int, watch_change_log_size);
ABSL_DECLARE_FLAG(std::string, watch_namespace);

namespace werf::gateway {

struct GatewayFlags {
  bool auth = false;
  absl::Duration auth_cache_ttl = absl::Seconds(10);
  std::vector<std::string> auth_token_audiences{};
  std::vector<std::string> cors_allowed_origins{};
  int max_page_size = 1000;
  int max_watches = 1000;
  absl::Duration watch_heartbeat_interval = absl::Seconds(15);
  absl::Duration watch_reauth_interval = absl::Minutes(1);
  int watch_change_log_size = 4096;
  std::string watch_namespace{};
};

// InvalidArgument naming the flag when a value is out of range.
absl::StatusOr<GatewayFlags> ReadGatewayFlags();

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_GATEWAY_FLAGS_H_
