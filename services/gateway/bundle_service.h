// BundleService over gRPC (see proto/werf/operator/v1/bundle_service.proto): the
// caller from the `authorization` metadata, the answer from BundleQueries.
// Synchronous handlers: a watch holds one server thread (bounded by --max_watches),
// which lets it block on the change log and on access reviews without stalling
// gRPC's callback executor.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SERVICE_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SERVICE_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/gateway/access_control.h"
#include "services/gateway/bundle_queries.h"
#include "werf/operator/v1/bundle_service.grpc.pb.h"

namespace werf::gateway {

class BundleServiceImpl final : public pb::BundleService::Service {
 public:
  // `poll_interval`: how often an idle watch checks that its client is still there.
  BundleServiceImpl(BundleQueries& queries, Authorizer& authorizer,
                    absl::Duration poll_interval = absl::Seconds(1));

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

 private:
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContext& context);

  BundleQueries& queries_;
  Authorizer& authorizer_;
  const absl::Duration poll_interval_;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_SERVICE_H_
