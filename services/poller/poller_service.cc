#include "services/poller/poller_service.h"

namespace werf::poller {

grpc::Status PollerServiceImpl::ListAssignments(grpc::ServerContext*, const pb::ListAssignmentsRequest*,
                                                pb::ListAssignmentsResponse* response) {
  *response = poller_->Snapshot();
  return grpc::Status::OK;
}

}  // namespace werf::poller
