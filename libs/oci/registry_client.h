// The OCI registry client the poller is built on: tag lists (paginated,
// conditional) and manifest digests, with authentication, rate-limit manners,
// size caps and errors that tell the user what to do.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> client,
//                    RegistryClient::Create({.metrics = &registry}));
//   ASSIGN_OR_RETURN(RepositoryRef repository, RepositoryRef::Parse("registry.example.com/team/app"));
//   RegistryAccess access{.credentials = credentials_from_secret};
//   absl::StatusOr<TagListResult> tags = client->ListTags(repository, access, last_etag);
//   if (!tags.ok()) {
//     ErrorDetails details = GetErrorDetails(tags.status());  // reason, HTTP status, Retry-After
//   } else if (!tags->not_modified) {
//     last_etag = tags->etag;  // and use tags->tags
//   }
//
// One client serves every registry and repository of a process and is
// thread-safe. It keeps soft state only: tokens, the auth scheme of each
// registry, Retry-After waits, idle connections.
#ifndef WERF_OPERATOR_LIBS_OCI_REGISTRY_CLIENT_H_
#define WERF_OPERATOR_LIBS_OCI_REGISTRY_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/http/http_client.h"
#include "libs/oci/errors.h"
#include "libs/oci/rate_limit.h"
#include "libs/oci/reference.h"
#include "libs/oci/registry_access.h"
#include "libs/oci/registry_auth.h"
#include "libs/oci/registry_metrics.h"
#include "libs/oci/registry_throttle.h"

namespace werf::oci {

struct RegistryClientOptions {
  // The HTTP implementation; null for an http::CurlHttpClient.
  std::shared_ptr<http::HttpClient> transport = nullptr;
  // Null for the wall clock. Must outlive the client.
  common::Clock* clock = nullptr;
  // Where to register the werf_operator_registry_* metrics; null for none. Must outlive the client.
  prometheus::Registry* metrics = nullptr;

  absl::Duration connect_timeout = absl::Seconds(10);
  // Per HTTP request, not per operation.
  absl::Duration request_timeout = absl::Seconds(30);

  // `n` sent with tag list requests; 0 lets the registry choose (one page when it can).
  int page_size = 0;
  // Caps on one tag list; beyond them the result is truncated, not an error.
  size_t max_tags = 100000;
  size_t max_tag_list_bytes = 32 << 20;
  // Manifests are read only when a registry omits Docker-Content-Digest; distribution caps them at 4 MiB.
  size_t max_manifest_bytes = 4 << 20;

  // The wait after a 429 without (or with an unparseable) Retry-After.
  absl::Duration default_retry_after = absl::Seconds(60);
  // Longer Retry-After values are cut to this, so one odd header cannot stop polling for days.
  absl::Duration max_retry_after = absl::Hours(6);

  // Extra attempts of a GET/HEAD after a 502/503/504 or a connection failure,
  // `transient_retry_delay` apart (doubling). 0: report at once and let the
  // caller's backoff decide.
  int transient_retries = 0;
  absl::Duration transient_retry_delay = absl::Milliseconds(500);

  size_t max_cached_tokens = 100000;
  // OAuth2 client_id for identity-token exchanges.
  std::string client_id = "werf-operator";
};

// What one call cost, for benchmarks and debugging: every HTTP request made
// (token requests and auth retries included) and the bytes that came back.
struct RequestStats {
  int requests = 0;
  int64_t bytes_received = 0;
};

struct TagListResult {
  // 304: the list is what it was when `etag` was issued; `tags` is empty.
  bool not_modified = false;
  // Every tag, in the registry's order (at most max_tags).
  std::vector<std::string> tags{};
  // A cap was hit; `tags` is a prefix of the list.
  bool truncated = false;
  // Tags that break the tag grammar were skipped.
  size_t invalid_tags = 0;
  // Pass to the next ListTags. Empty when the registry sent none, and when the
  // list spanned several pages: the first page's ETag says nothing about the
  // others, so a 304 on it could hide a change further on.
  std::string etag{};
  int pages = 0;
  RequestStats stats{};
  // From the last response's RateLimit-Remaining / RateLimit-Limit, if sent.
  std::optional<RateLimitInfo> rate_limit{};
};

struct DigestResult {
  std::string digest{};      // "sha256:..."
  std::string media_type{};  // Content-Type of the manifest, if sent
  // The registry omitted Docker-Content-Digest and the manifest was downloaded and hashed.
  bool computed_from_body = false;
  RequestStats stats{};
  std::optional<RateLimitInfo> rate_limit{};
};

struct ManifestResult {
  std::string digest{};  // of the body as received
  std::string media_type{};
  // The manifest's top-level "annotations" (OCI image spec), e.g. org.opencontainers.image.revision.
  std::map<std::string, std::string> annotations{};
  RequestStats stats{};
};

// The manifest types GetDigest accepts, most specific first: OCI index and
// manifest, Docker manifest list and v2 manifest.
inline constexpr absl::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

// A registry asked not to be called before `until`: a 429, a 503 with Retry-After,
// or RateLimit-Remaining: 0.
struct RegistryPause {
  std::string registry;  // canonical
  absl::Time until;
  std::string reason;  // what the registry said, e.g. "HTTP 429, Retry-After: 120"
};

class RegistryClient {
 public:
  using PauseListener = std::function<void(const RegistryPause&)>;

  static absl::StatusOr<std::unique_ptr<RegistryClient>> Create(RegistryClientOptions options = {});

  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // Lists the repository's tags, following Link rel="next" (relative or
  // absolute, same registry only) or, failing that, n/last. With
  // `if_none_match` (a previous TagListResult::etag) the first request is
  // conditional and a 304 ends the call with `not_modified`.
  absl::StatusOr<TagListResult> ListTags(const RepositoryRef& repository, const RegistryAccess& access,
                                         absl::string_view if_none_match = "");

  // The manifest digest `tag` points to, from HEAD (which Docker Hub does not
  // count as a pull); a GET and a local SHA-256 only when the registry sends no
  // Docker-Content-Digest.
  absl::StatusOr<DigestResult> GetDigest(const RepositoryRef& repository, const RegistryAccess& access,
                                         absl::string_view tag);

  // The manifest `reference` (a tag or a digest) names, for its annotations. A digest
  // reference is checked against the body.
  absl::StatusOr<ManifestResult> GetManifest(const RepositoryRef& repository, const RegistryAccess& access,
                                             absl::string_view reference);

  // When calls to `registry` (canonical) are allowed again, while a Retry-After
  // wait is in force; calls before then fail at once with kRateLimited.
  std::optional<absl::Time> NotBefore(absl::string_view registry) const;

  // Honours a pause another client learnt of (a registry's budget is per address
  // or account, not per process). Does not call the listener.
  void Pause(absl::string_view registry, absl::Time until);

  // Called (on the calling thread, without locks held) when a registry's answer
  // starts or lengthens a pause. Set it before the first call.
  void SetPauseListener(PauseListener listener) { pause_listener_ = std::move(listener); }

 private:
  struct Call;

  explicit RegistryClient(RegistryClientOptions options);

  std::string BaseUrl(const Call& call) const ABSL_LOCKS_EXCLUDED(mu_);
  AuthTarget MakeAuthTarget(const Call& call) const;
  absl::StatusOr<http::HttpResponse> Execute(Call& call, http::HttpRequest request);
  // A GET of a manifest: its 200 response within max_manifest_bytes, or the error.
  absl::StatusOr<http::HttpResponse> FetchManifest(Call& call, http::HttpRequest request);
  absl::StatusOr<http::HttpResponse> SendCounted(Call& call, const http::HttpRequest& request);
  absl::StatusOr<http::HttpResponse> SendWithSchemeFallback(Call& call, http::HttpRequest& request) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status RateLimitedError(const Call& call, absl::Time until, int http_status) const;
  // For a 429, or a 503 with Retry-After: no calls to the registry until it said, and the error.
  absl::Status DeferRegistry(const Call& call, const http::HttpResponse& response);
  // Records a pause the registry asked for and tells the listener when it is news.
  void PauseFromResponse(const Call& call, absl::Time until, std::string reason);
  absl::Status StartCall(Call& call);

  const RegistryClientOptions options_;
  common::Clock& clock_;
  std::shared_ptr<http::HttpClient> transport_;
  RegistryMetrics metrics_;
  RegistryThrottle throttle_;
  PauseListener pause_listener_;
  RegistryAuth auth_;
  mutable absl::Mutex mu_;
  // For kInsecure registries: the scheme that worked ("https" or "http").
  absl::flat_hash_map<std::string, std::string> insecure_schemes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_REGISTRY_CLIENT_H_
