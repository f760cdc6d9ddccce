#include "services/gateway/bundle_queries.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "services/gateway/bundle_filter.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/page_token.h"

namespace werf::gateway {

BundleQueries::BundleQueries(const BundleCache& cache, Authorizer& authorizer,
                             WatchLimiter& limiter, Options options)
    : cache_(cache), authorizer_(authorizer), limiter_(limiter), options_(std::move(options)) {}

absl::Status BundleQueries::CheckServes(absl::string_view ns) const {
  if (options_.synced && !options_.synced()) {
    return absl::UnavailableError(
        "the gateway is still loading WerfBundles from the Kubernetes API server; retry shortly");
  }
  if (!ns.empty() && !options_.watch_namespace.empty() && ns != options_.watch_namespace) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this gateway serves only namespace \"", options_.watch_namespace,
        "\" (--watch_namespace); ask for that namespace or use a gateway that serves \"", ns, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<NamespaceAccess>> BundleQueries::Scope(const Caller& caller,
                                                                      absl::string_view ns) {
  if (!authorizer_.enabled()) return nullptr;
  if (!ns.empty()) {
    // Answered at once: nothing to re-check, and no per-bundle matching needed.
    RETURN_IF_ERROR(authorizer_.Authorize(caller, {"list", std::string(ns), ""}));
    return nullptr;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<NamespaceAccess> access,
                   authorizer_.ScopeNamespaces(caller, {"list"}, "", cache_.Namespaces()));
  if (access->all()) return nullptr;  // a cluster-wide grant: lists take the unfiltered path
  return access;
}

absl::StatusOr<std::shared_ptr<NamespaceAccess>> BundleQueries::WatchScope(const Caller& caller,
                                                                           absl::string_view ns) {
  if (!authorizer_.enabled()) return nullptr;
  // `list` as well as `watch`: the watch starts with a snapshot, which is a list. Kept
  // for the watch's lifetime, so it can be checked again while the watch is open.
  return authorizer_.ScopeNamespaces(caller, {"list", "watch"}, ns, cache_.Namespaces());
}

absl::StatusOr<BundlePtr> BundleQueries::Find(const Caller& caller, absl::string_view ns,
                                              absl::string_view name) {
  if (ns.empty() || name.empty()) {
    return absl::InvalidArgumentError("namespace and name are both required");
  }
  RETURN_IF_ERROR(CheckServes(ns));
  RETURN_IF_ERROR(authorizer_.Authorize(caller, {"get", std::string(ns), std::string(name)}));
  BundlePtr bundle = cache_.Get({std::string(ns), std::string(name)});
  if (bundle == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("WerfBundle \"", name, "\" not found in namespace \"", ns, "\""));
  }
  return bundle;
}

absl::StatusOr<pb::ListBundlesResponse> BundleQueries::ListBundles(
    const Caller& caller, const pb::ListBundlesRequest& request) {
  RETURN_IF_ERROR(CheckServes(request.namespace_()));
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must not be negative, got ", request.page_size()));
  }
  if (!pb::BundlePhase_IsValid(request.phase())) {
    return absl::InvalidArgumentError(absl::StrCat("phase ", request.phase(), " is not a BundlePhase"));
  }
  BundleFilter filter{.ns = request.namespace_(), .phase = request.phase(), .selector = {}, .access = nullptr};
  ASSIGN_OR_RETURN(filter.selector, ParseSelectorField("label_selector", request.label_selector()));
  std::optional<BundleKey> after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(request.page_token(), filter.Fingerprint()));
  }
  ASSIGN_OR_RETURN(filter.access, Scope(caller, request.namespace_()));

  const int page_size = request.page_size() == 0
                            ? std::min(options_.default_page_size, options_.max_page_size)
                            : std::min(request.page_size(), options_.max_page_size);
  // Unfiltered lists (the common case) skip the scan that counting matches needs.
  const bool unfiltered = filter.phase == pb::BUNDLE_PHASE_UNSPECIFIED && filter.selector.empty() &&
                          filter.access == nullptr;
  // The cache walks only the namespace asked for, so the matcher need not compare it:
  // fewer cache misses per bundle in a scan that touches every one.
  BundleFilter within_namespace = filter;
  within_namespace.ns.clear();
  const BundleCache::Page page =
      unfiltered ? cache_.List(filter.ns, after, static_cast<size_t>(page_size))
                 : cache_.List(filter.ns, after, static_cast<size_t>(page_size),
                               [&within_namespace](const pb::Bundle& bundle) {
                                 return within_namespace.Matches(bundle);
                               });

  pb::ListBundlesResponse response;
  response.mutable_bundles()->Reserve(static_cast<int>(page.bundles.size()));
  for (const BundlePtr& bundle : page.bundles) *response.add_bundles() = *bundle;
  if (page.more && !page.bundles.empty()) {
    const pb::Bundle& last = *page.bundles.back();
    response.set_next_page_token(EncodePageToken({last.namespace_(), last.name()}, filter.Fingerprint()));
  }
  response.set_total_size(static_cast<int32_t>(page.total));
  return response;
}

absl::StatusOr<pb::GetBundleResponse> BundleQueries::GetBundle(const Caller& caller,
                                                               const pb::GetBundleRequest& request) {
  ASSIGN_OR_RETURN(BundlePtr bundle, Find(caller, request.namespace_(), request.name()));
  pb::GetBundleResponse response;
  *response.mutable_bundle() = *bundle;
  return response;
}

absl::StatusOr<pb::GetBundleHistoryResponse> BundleQueries::GetBundleHistory(
    const Caller& caller, const pb::GetBundleHistoryRequest& request) {
  ASSIGN_OR_RETURN(BundlePtr bundle, Find(caller, request.namespace_(), request.name()));
  pb::GetBundleHistoryResponse response;
  *response.mutable_entries() = bundle->history();
  return response;
}

absl::StatusOr<pb::GetSummaryResponse> BundleQueries::GetSummary(const Caller& caller,
                                                                 const pb::GetSummaryRequest& request) {
  RETURN_IF_ERROR(CheckServes(request.namespace_()));
  ASSIGN_OR_RETURN(std::shared_ptr<NamespaceAccess> access,
                   Scope(caller, request.namespace_()));
  pb::GetSummaryResponse response;
  pb::PhaseCounts& total = *response.mutable_total();
  for (const auto& [ns, counts] : cache_.CountsByNamespace()) {
    if (!request.namespace_().empty() && ns != request.namespace_()) continue;
    if (access != nullptr && !access->AllowsKnown(ns)) continue;
    pb::NamespaceSummary& summary = *response.add_namespaces();
    summary.set_namespace_(ns);
    *summary.mutable_counts() = counts;
    total.set_unknown(total.unknown() + counts.unknown());
    total.set_syncing(total.syncing() + counts.syncing());
    total.set_synced(total.synced() + counts.synced());
    total.set_failed(total.failed() + counts.failed());
    total.set_suspended(total.suspended() + counts.suspended());
    total.set_total(total.total() + counts.total());
  }
  return response;
}

absl::StatusOr<BundleQueries::Watch> BundleQueries::StartWatch(
    const Caller& caller, const pb::WatchBundlesRequest& request, absl::string_view transport) {
  RETURN_IF_ERROR(CheckServes(request.namespace_()));
  BundleFilter filter{.ns = request.namespace_(), .phase = pb::BUNDLE_PHASE_UNSPECIFIED, .selector = {}, .access = nullptr};
  ASSIGN_OR_RETURN(filter.selector, ParseSelectorField("label_selector", request.label_selector()));
  std::optional<Revision> resume_from;
  if (!request.resume_revision().empty()) {
    ASSIGN_OR_RETURN(resume_from, ParseRevision(request.resume_revision()));
  }
  ASSIGN_OR_RETURN(filter.access, WatchScope(caller, request.namespace_()));
  ASSIGN_OR_RETURN(WatchLimiter::Slot slot, limiter_.Acquire(transport));
  WatchSession::Options watch_options = options_.watch;
  prometheus::Counter* resyncs = &Metrics().watch_resyncs.Add({{"transport", std::string(transport)}});
  watch_options.on_resync = [resyncs] { resyncs->Increment(); };
  watch_options.on_recheck = [transport = std::string(transport)](const absl::Status& outcome) {
    CountWatchRecheck(transport, outcome);
  };
  auto session = std::make_unique<WatchSession>(cache_, std::move(filter), resume_from, watch_options);
  return Watch{std::move(slot), std::move(session)};
}

}  // namespace werf::gateway
