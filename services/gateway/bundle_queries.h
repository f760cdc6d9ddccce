// The gateway's read API, independent of transport: gRPC (bundle_service.h) and
// HTTP/JSON (http_api.h) both authenticate the caller, then ask here. Every answer
// comes from the BundleCache; the only calls to the API server are access reviews.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_QUERIES_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_QUERIES_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/access_control.h"
#include "services/gateway/bundle_cache.h"
#include "services/gateway/watch_limiter.h"
#include "services/gateway/watch_session.h"
#include "werf/operator/v1/bundle_service.pb.h"

namespace werf::gateway {

class BundleQueries {
 public:
  struct Options {
    int default_page_size = 100;
    int max_page_size = 1000;
    // The only namespace the cache holds (--watch_namespace); empty: all of them.
    std::string watch_namespace{};
    WatchSession::Options watch{};
    // Whether the cache holds the whole first list yet. Null: always.
    std::function<bool()> synced{};
  };

  // An open watch and its place under --max_watches.
  struct Watch {
    WatchLimiter::Slot slot;
    std::unique_ptr<WatchSession> session;
  };

  BundleQueries(const BundleCache& cache, Authorizer& authorizer, WatchLimiter& limiter,
                Options options);

  absl::StatusOr<pb::ListBundlesResponse> ListBundles(const Caller& caller,
                                                      const pb::ListBundlesRequest& request);
  absl::StatusOr<pb::GetBundleResponse> GetBundle(const Caller& caller,
                                                  const pb::GetBundleRequest& request);
  absl::StatusOr<pb::GetBundleHistoryResponse> GetBundleHistory(
      const Caller& caller, const pb::GetBundleHistoryRequest& request);
  absl::StatusOr<pb::GetSummaryResponse> GetSummary(const Caller& caller,
                                                    const pb::GetSummaryRequest& request);
  // `transport` labels the watch in metrics: "grpc" or "sse".
  absl::StatusOr<Watch> StartWatch(const Caller& caller, const pb::WatchBundlesRequest& request,
                                   absl::string_view transport);

 private:
  // Unavailable until the first list is cached; FailedPrecondition for a namespace
  // outside --watch_namespace.
  absl::Status CheckServes(absl::string_view ns) const;
  // For lists (`list`): null (no restriction beyond the request's namespace) or the
  // caller's namespaces for a cluster-wide request. PermissionDenied when the caller
  // may see nothing.
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> Scope(const Caller& caller, absl::string_view ns);
  // For watches (`list` and `watch`): null with auth off, otherwise the caller's
  // namespaces, which the watch checks again while it is open.
  absl::StatusOr<std::shared_ptr<NamespaceAccess>> WatchScope(const Caller& caller,
                                                              absl::string_view ns);
  absl::StatusOr<BundlePtr> Find(const Caller& caller, absl::string_view ns,
                                 absl::string_view name);

  const BundleCache& cache_;
  Authorizer& authorizer_;
  WatchLimiter& limiter_;
  const Options options_;
};

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_BUNDLE_QUERIES_H_
