#include "services/gateway/bundle_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "services/gateway/status_mapping.h"

namespace werf::gateway {
namespace {

// Runs `query` for an authenticated caller and moves its answer into `response`.
template <typename Response, typename Query>
grpc::Status Answer(absl::StatusOr<Caller> caller, Response* response, Query query) {
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<Response> answer = query(*caller);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *response = *std::move(answer);
  return grpc::Status::OK;
}

}  // namespace

BundleServiceImpl::BundleServiceImpl(BundleQueries& queries, Authorizer& authorizer,
                                     absl::Duration poll_interval)
    : queries_(queries), authorizer_(authorizer), poll_interval_(poll_interval) {}

absl::StatusOr<Caller> BundleServiceImpl::Authenticate(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  const absl::string_view authorization =
      it == metadata.end() ? absl::string_view() : absl::string_view(it->second.data(), it->second.size());
  return authorizer_.Authenticate(authorization);
}

grpc::Status BundleServiceImpl::ListBundles(grpc::ServerContext* context,
                                            const pb::ListBundlesRequest* request,
                                            pb::ListBundlesResponse* response) {
  return Answer(Authenticate(*context), response,
                [&](const Caller& caller) { return queries_.ListBundles(caller, *request); });
}

grpc::Status BundleServiceImpl::GetBundle(grpc::ServerContext* context,
                                          const pb::GetBundleRequest* request,
                                          pb::GetBundleResponse* response) {
  return Answer(Authenticate(*context), response,
                [&](const Caller& caller) { return queries_.GetBundle(caller, *request); });
}

grpc::Status BundleServiceImpl::GetBundleHistory(grpc::ServerContext* context,
                                                 const pb::GetBundleHistoryRequest* request,
                                                 pb::GetBundleHistoryResponse* response) {
  return Answer(Authenticate(*context), response,
                [&](const Caller& caller) { return queries_.GetBundleHistory(caller, *request); });
}

grpc::Status BundleServiceImpl::GetSummary(grpc::ServerContext* context,
                                           const pb::GetSummaryRequest* request,
                                           pb::GetSummaryResponse* response) {
  return Answer(Authenticate(*context), response,
                [&](const Caller& caller) { return queries_.GetSummary(caller, *request); });
}

grpc::Status BundleServiceImpl::WatchBundles(grpc::ServerContext* context,
                                             const pb::WatchBundlesRequest* request,
                                             grpc::ServerWriter<pb::WatchBundlesResponse>* writer) {
  absl::StatusOr<Caller> caller = Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<BundleQueries::Watch> watch = queries_.StartWatch(*caller, *request, "grpc");
  if (!watch.ok()) return ToGrpcStatus(watch.status());
  while (!context->IsCancelled()) {
    absl::StatusOr<std::optional<pb::WatchBundlesResponse>> event =
        watch->session->Next(poll_interval_);
    if (!event.ok()) return ToGrpcStatus(event.status());
    if (!event->has_value()) continue;
    // A client that stops reading blocks only this thread (flow control); its cursor
    // falls behind and it resyncs when it reads again.
    if (!writer->Write(**event)) break;
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
}

}  // namespace werf::gateway
