// The converger's read-only introspection service (see proto/werf/operator/v1/converger_service.proto).
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_SERVICE_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_SERVICE_H_

#include "werf/operator/v1/converger_service.grpc.pb.h"

namespace werf::converger {

namespace pb = ::werf::operator_::v1;

class ConvergerServiceImpl final : public pb::ConvergerService::Service {
 public:
  grpc::Status ListJobs(grpc::ServerContext* context, const pb::ListJobsRequest* request,
                         pb::ListJobsResponse* response) override;
};

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_SERVICE_H_
