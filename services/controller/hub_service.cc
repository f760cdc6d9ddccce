#include "services/controller/hub_service.h"

namespace werf::controller {

grpc::Status HubServiceImpl::Connect(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<werf::operator_::v1::ConnectResponse,
                             werf::operator_::v1::ConnectRequest>*) {
  // The hub (assignments, observations) arrives with the controller issue.
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "werf.operator.v1.HubService/Connect is not implemented yet");
}

}  // namespace werf::controller
