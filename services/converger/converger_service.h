// The converger's read-only introspection service (see proto/werf/operator/v1/converger_service.proto).
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_SERVICE_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_SERVICE_H_

#include <functional>

#include "werf/operator/v1/converger_service.grpc.pb.h"

namespace werf::converger {

namespace pb = ::werf::operator_::v1;

class ConvergerServiceImpl final : public pb::ConvergerService::Service {
 public:
  // `list_jobs` answers ListJobs (Converger::ListJobs); it must be thread-safe.
  explicit ConvergerServiceImpl(std::function<pb::ListJobsResponse()> list_jobs)
      : list_jobs_(std::move(list_jobs)) {}

  grpc::Status ListJobs(grpc::ServerContext* context, const pb::ListJobsRequest* request,
                        pb::ListJobsResponse* response) override;

 private:
  const std::function<pb::ListJobsResponse()> list_jobs_;
};

}  // namespace werf::converger

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_SERVICE_H_
