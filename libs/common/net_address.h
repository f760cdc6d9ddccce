// host:port parsing for listen addresses ("0.0.0.0:9090", "[::]:0", "localhost:8080").
#ifndef WERF_OPERATOR_LIBS_COMMON_NET_ADDRESS_H_
#define WERF_OPERATOR_LIBS_COMMON_NET_ADDRESS_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace werf::common {

struct HostPort {
  std::string host;  // without IPv6 brackets
  int port = 0;      // 0..65535; 0 means "pick a free port"

  // Joins back, bracketing IPv6 hosts.
  std::string ToString() const;
};

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_NET_ADDRESS_H_
