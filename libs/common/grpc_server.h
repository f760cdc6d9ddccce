// gRPC server bootstrap shared by every service: the service's own handlers plus
// grpc.health.v1.Health (per-service status) and server reflection, so grpcurl
// works with no .proto on the client, and the metrics interceptor.
#ifndef WERF_OPERATOR_LIBS_COMMON_GRPC_SERVER_H_
#define WERF_OPERATOR_LIBS_COMMON_GRPC_SERVER_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "libs/common/net_address.h"

namespace werf::common {

class GrpcServer {
 public:
  struct Options {
    std::string address{};
    std::vector<grpc::Service*> services{};  // not owned; must outlive the server
    // Largest message accepted; tag lists of big repositories travel over the hub.
    int max_message_bytes = 32 << 20;
  };

  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const Options& options);

  const HostPort& address() const { return bound_; }

  // Health status of one service by its full name ("" is the whole server).
  void SetServing(absl::string_view service, bool serving);

  // Every health status becomes NOT_SERVING, new calls are refused, in-flight calls
  // may finish until `deadline`, then the rest are cancelled. Returns when done.
  void Shutdown(absl::Time deadline);

 private:
  GrpcServer() = default;

  std::unique_ptr<grpc::Server> server_;
  HostPort bound_;
};

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_GRPC_SERVER_H_
