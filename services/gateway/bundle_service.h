// The gateway's read-only BundleService (see proto/werf/operator/v1/bundle_service.proto).
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SERVICE_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SERVICE_H_

#include "werf/operator/v1/bundle_service.grpc.pb.h"

namespace werf::gateway {

namespace pb = ::werf::operator_::v1;

class BundleServiceImpl final : public pb::BundleService::Service {
 public:
  grpc::Status ListBundles(grpc::ServerContext* context, const pb::ListBundlesRequest* request,
                           pb::ListBundlesResponse* response) override;
  grpc::Status GetBundle(grpc::ServerContext* context, const pb::GetBundleRequest* request,
                         pb::GetBundleResponse* response) override;
  grpc::Status WatchBundles(grpc::ServerContext* context, const pb::WatchBundlesRequest* request,
                            grpc::ServerWriter<pb::WatchBundlesResponse>* writer) override;
  grpc::Status GetBundleHistory(grpc::ServerContext* context,
                                const pb::GetBundleHistoryRequest* request,
                                pb::GetBundleHistoryResponse* response) override;
  grpc::Status GetSummary(grpc::ServerContext* context, const pb::GetSummaryRequest* request,
                          pb::GetSummaryResponse* response) override;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SERVICE_H_
