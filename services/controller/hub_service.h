// The hub that pollers and convergers dial (see proto/werf/operator/v1/hub.proto).
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_HUB_SERVICE_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_HUB_SERVICE_H_

#include "werf/operator/v1/hub.grpc.pb.h"

namespace werf::controller {

class HubServiceImpl final : public werf::operator_::v1::HubService::Service {
 public:
  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<werf::operator_::v1::ConnectResponse,
                               werf::operator_::v1::ConnectRequest>* stream) override;
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_HUB_SERVICE_H_
