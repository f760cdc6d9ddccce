#include "services/poller/poller_service.h"

namespace werf::poller {

grpc::Status PollerServiceImpl::ListAssignments(grpc::ServerContext*, const pb::ListAssignmentsRequest*,
                                 pb::ListAssignmentsResponse*) {
  // The poller's state (hub stream, work in hand) arrives with the poller issue.
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "werf.operator.v1.PollerService/ListAssignments is not implemented yet");
}

}  // namespace werf::poller
