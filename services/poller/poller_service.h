// The poller's read-only introspection service (see proto/werf/operator/v1/poller_service.proto).
#ifndef WERF_OPERATOR_SERVICES_POLLER_POLLER_SERVICE_H_
#define WERF_OPERATOR_SERVICES_POLLER_POLLER_SERVICE_H_

#include "werf/operator/v1/poller_service.grpc.pb.h"

namespace werf::poller {

namespace pb = ::werf::operator_::v1;

class PollerServiceImpl final : public pb::PollerService::Service {
 public:
  grpc::Status ListAssignments(grpc::ServerContext* context, const pb::ListAssignmentsRequest* request,
                         pb::ListAssignmentsResponse* response) override;
};

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_POLLER_SERVICE_H_
