#include "services/converger/converger_service.h"

namespace werf::converger {

grpc::Status ConvergerServiceImpl::ListJobs(grpc::ServerContext*, const pb::ListJobsRequest*,
                                 pb::ListJobsResponse*) {
  // The converger's state (hub stream, work in hand) arrives with the converger issue.
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "werf.operator.v1.ConvergerService/ListJobs is not implemented yet");
}

}  // namespace werf::converger
