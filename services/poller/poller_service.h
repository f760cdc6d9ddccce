// The poller's read-only introspection service (see proto/werf/operator/v1/poller_service.proto).
#ifndef WERF_OPERATOR_SERVICES_POLLER_POLLER_SERVICE_H_
#define WERF_OPERATOR_SERVICES_POLLER_POLLER_SERVICE_H_

#include "services/poller/poller.h"
#include "werf/operator/v1/poller_service.grpc.pb.h"

namespace werf::poller {

class PollerServiceImpl final : public pb::PollerService::Service {
 public:
  explicit PollerServiceImpl(const Poller* poller) : poller_(poller) {}
  grpc::Status ListAssignments(grpc::ServerContext* context, const pb::ListAssignmentsRequest* request,
                               pb::ListAssignmentsResponse* response) override;

 private:
  const Poller* poller_;
};

}  // namespace werf::poller

#endif  // WERF_OPERATOR_SERVICES_POLLER_POLLER_SERVICE_H_
