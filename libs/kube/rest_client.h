// A typed-enough REST client for the Kubernetes API: objects are nlohmann::json,
// errors are absl::Status carrying the API's reason (see api_error.h). Mirrors the
// verbs of client-go's dynamic client, plus watch streaming and pod logs.
#ifndef WERF_OPERATOR_LIBS_KUBE_REST_CLIENT_H_
#define WERF_OPERATOR_LIBS_KUBE_REST_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/http/curl_http_client.h"
#include "libs/kube/client_rate_limiter.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/resource.h"
#include "nlohmann/json.hpp"

namespace werf::kube {

struct RestOptions {
  // controller-runtime's defaults; client-go's own (5/10) are too tight for an operator.
  double qps = 20;
  int burst = 30;
  absl::Duration timeout = absl::Seconds(30);
  // Extra attempts for idempotent verbs on transport errors and 5xx, and for any
  // verb on 429 (the server did not process it).
  int max_retries = 3;
  std::string user_agent = "werf-operator";
};

struct ListOptions {
  std::string label_selector{};
  std::string field_selector{};
  int64_t limit = 0;  // page size; 0 lets the server decide
  std::string continue_token{};
  std::string resource_version{};
  // Items as PartialObjectMetadata (apiVersion meta.k8s.io/v1: metadata only), as
  // client-go's metadata informers ask for them: the server sends no spec, data or status.
  bool metadata_only = false;
};

struct ListResult {
  std::vector<nlohmann::json> items;
  std::string resource_version;
  std::string continue_token;
};

struct WatchOptions {
  std::string resource_version{};
  std::string label_selector{};
  std::string field_selector{};
  int timeout_seconds = 300;  // server-side end of the watch
  bool allow_bookmarks = true;
  // Event objects as PartialObjectMetadata (see ListOptions::metadata_only).
  bool metadata_only = false;
};

struct DeleteOptions {
  std::string propagation_policy{};  // "Foreground", "Background", "Orphan" or empty
  std::string precondition_uid{};
  std::string precondition_resource_version{};
};

enum class PatchType { kMerge, kJson, kStrategicMerge };

// The API verbs, as an interface so code above it can be tested against a fake
// (libs/kube/testing/fake_rest_client.h) the way client-go's callers use
// kubernetes.Interface and its fake clientset. HttpRestClient below is the real one.
class RestClient {
 public:
  // The real client, over HTTP(S) to `config.server`.
  static absl::StatusOr<std::shared_ptr<RestClient>> Create(ClusterConfig config,
                                                            RestOptions options = {});

  virtual ~RestClient() = default;

  virtual absl::StatusOr<nlohmann::json> Get(const Resource& resource, absl::string_view ns,
                                             absl::string_view name,
                                             absl::string_view subresource = "") = 0;
  // One page.
  virtual absl::StatusOr<ListResult> List(const Resource& resource, absl::string_view ns,
                                          const ListOptions& options = {}) = 0;
  // Every page, following `continue`; the result's resource_version is the first page's.
  absl::StatusOr<ListResult> ListAll(const Resource& resource, absl::string_view ns,
                                     const ListOptions& options = {});
  // Every page, following `continue`, handing each item to `each` as its page arrives,
  // so a large list is never held whole (an informer's first list of 10,000 objects).
  // Returns the first page's resourceVersion. On an error mid-list some items have
  // been handed over already; the caller starts again (the token may have expired).
  absl::StatusOr<std::string> ListEach(const Resource& resource, absl::string_view ns,
                                       const ListOptions& options,
                                       const std::function<void(nlohmann::json item)>& each);
  virtual absl::StatusOr<nlohmann::json> Create(const Resource& resource, absl::string_view ns,
                                                const nlohmann::json& object) = 0;
  // PUT; the object's metadata.resourceVersion makes it a compare-and-swap (409 Conflict).
  virtual absl::StatusOr<nlohmann::json> Update(const Resource& resource, absl::string_view ns,
                                                const nlohmann::json& object,
                                                absl::string_view subresource = "") = 0;
  absl::StatusOr<nlohmann::json> UpdateStatus(const Resource& resource, absl::string_view ns,
                                              const nlohmann::json& object) {
    return Update(resource, ns, object, "status");
  }
  virtual absl::StatusOr<nlohmann::json> Patch(const Resource& resource, absl::string_view ns,
                                               absl::string_view name, PatchType type,
                                               const nlohmann::json& patch,
                                               absl::string_view subresource = "") = 0;
  // Server-side apply.
  virtual absl::StatusOr<nlohmann::json> Apply(const Resource& resource, absl::string_view ns,
                                               absl::string_view name, const nlohmann::json& object,
                                               absl::string_view field_manager, bool force,
                                               absl::string_view subresource = "") = 0;
  virtual absl::Status Delete(const Resource& resource, absl::string_view ns,
                              absl::string_view name, const DeleteOptions& options = {}) = 0;

  // Streams a watch; `on_chunk` receives raw bytes of newline-delimited events.
  // Returns OK when the server ends the watch, the API error when it refuses it
  // (e.g. 410 Gone), kCancelled when `stop` is set or on_chunk returns false.
  virtual absl::Status Watch(const Resource& resource, absl::string_view ns,
                             const WatchOptions& options,
                             const std::function<bool(absl::string_view)>& on_chunk,
                             const std::atomic<bool>* stop) = 0;

  // The last `tail_lines` lines of a container's log, at most `limit_bytes`. Never retried.
  virtual absl::StatusOr<std::string> PodLogs(absl::string_view ns, absl::string_view pod,
                                              absl::string_view container, int tail_lines,
                                              int64_t limit_bytes) = 0;

  // Any request by path (e.g. POST /apis/authentication.k8s.io/v1/tokenreviews).
  virtual absl::StatusOr<nlohmann::json> Call(absl::string_view method,
                                              absl::string_view path_and_query,
                                              const nlohmann::json* body = nullptr,
                                              absl::string_view content_type = "application/json") = 0;

  // The cluster this client talks to. A client that talks to none (a fake) answers a
  // configuration without a server, from which RestClient::Create makes no client.
  virtual const ClusterConfig& config() const = 0;
  // Requests sent (attempts, including retries), for tests and benchmarks.
  virtual int64_t requests_sent() const = 0;
};

// The API server over HTTP(S): rate limited, authenticated, retried (RestOptions).
// Made by RestClient::Create. Overrides repeat no default arguments: call it through
// RestClient.
class HttpRestClient final : public RestClient {
 public:
  absl::StatusOr<nlohmann::json> Get(const Resource& resource, absl::string_view ns,
                                     absl::string_view name, absl::string_view subresource) override;
  absl::StatusOr<ListResult> List(const Resource& resource, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::StatusOr<nlohmann::json> Create(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object) override;
  absl::StatusOr<nlohmann::json> Update(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object,
                                        absl::string_view subresource) override;
  absl::StatusOr<nlohmann::json> Patch(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, PatchType type,
                                       const nlohmann::json& patch,
                                       absl::string_view subresource) override;
  absl::StatusOr<nlohmann::json> Apply(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, const nlohmann::json& object,
                                       absl::string_view field_manager, bool force,
                                       absl::string_view subresource) override;
  absl::Status Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& options) override;
  absl::Status Watch(const Resource& resource, absl::string_view ns, const WatchOptions& options,
                     const std::function<bool(absl::string_view)>& on_chunk,
                     const std::atomic<bool>* stop) override;
  absl::StatusOr<std::string> PodLogs(absl::string_view ns, absl::string_view pod,
                                      absl::string_view container, int tail_lines,
                                      int64_t limit_bytes) override;
  absl::StatusOr<nlohmann::json> Call(absl::string_view method, absl::string_view path_and_query,
                                      const nlohmann::json* body,
                                      absl::string_view content_type) override;

  const ClusterConfig& config() const override { return config_; }
  int64_t requests_sent() const override { return requests_sent_.load(); }

 private:
  friend class RestClient;  // Create
  HttpRestClient(ClusterConfig config, RestOptions options);

  // One request with rate limiting, auth, retries and error mapping. Returns the body.
  // `max_retries` overrides RestOptions::max_retries for this request.
  // `accept` overrides the Accept header (metadata-only lists).
  absl::StatusOr<std::string> Send(absl::string_view method, const std::string& path_and_query,
                                   std::string body, absl::string_view content_type,
                                   absl::Duration timeout, std::optional<int> max_retries = std::nullopt,
                                   absl::string_view accept = "");
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Headers(
      absl::string_view content_type, absl::string_view accept = "");

  const ClusterConfig config_;
  const RestOptions options_;
  http::CurlHttpClient transport_;
  ClientRateLimiter limiter_;
  std::atomic<int64_t> requests_sent_{0};
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_REST_CLIENT_H_
