#include "services/gateway/bundle_service.h"

#include <string>

namespace werf::gateway {
namespace {

// The informer-backed implementation arrives with the gateway issue.
grpc::Status NotYet(const char* method) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      std::string("werf.operator.v1.BundleService/") + method +
                          " is not implemented yet");
}

}  // namespace

grpc::Status BundleServiceImpl::ListBundles(grpc::ServerContext*, const pb::ListBundlesRequest*,
                                            pb::ListBundlesResponse*) {
  return NotYet("ListBundles");
}

grpc::Status BundleServiceImpl::GetBundle(grpc::ServerContext*, const pb::GetBundleRequest*,
                                          pb::GetBundleResponse*) {
  return NotYet("GetBundle");
}

grpc::Status BundleServiceImpl::WatchBundles(grpc::ServerContext*, const pb::WatchBundlesRequest*,
                                             grpc::ServerWriter<pb::WatchBundlesResponse>*) {
  return NotYet("WatchBundles");
}

grpc::Status BundleServiceImpl::GetBundleHistory(grpc::ServerContext*,
                                                 const pb::GetBundleHistoryRequest*,
                                                 pb::GetBundleHistoryResponse*) {
  return NotYet("GetBundleHistory");
}

grpc::Status BundleServiceImpl::GetSummary(grpc::ServerContext*, const pb::GetSummaryRequest*,
                                           pb::GetSummaryResponse*) {
  return NotYet("GetSummary");
}

}  // namespace werf::gateway
