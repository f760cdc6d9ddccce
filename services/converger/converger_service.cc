#include "services/converger/converger_service.h"

namespace werf::converger {

grpc::Status ConvergerServiceImpl::ListJobs(grpc::ServerContext*, const pb::ListJobsRequest*,
                                            pb::ListJobsResponse* response) {
  *response = list_jobs_();
  return grpc::Status::OK;
}

}  // namespace werf::converger
