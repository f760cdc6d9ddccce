#include "services/gateway/gateway_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(bool, auth, false,
          "require a Kubernetes bearer token on every request (TokenReview) and allow only what "
          "the caller's RBAC allows on werfbundles.werf.io (SubjectAccessReview)");
ABSL_FLAG(absl::Duration, auth_cache_ttl, absl::Seconds(10),
          "how long token and access decisions are remembered");
ABSL_FLAG(std::vector<std::string>, auth_token_audiences, {},
          "comma-separated audiences a token must be issued for; empty: the API server's own");
ABSL_FLAG(std::vector<std::string>, cors_allowed_origins, {},
          "comma-separated origins whose pages may call the HTTP API (e.g. "
          "https://grafana.example.com); * allows any; empty: same origin only");
ABSL_FLAG(int, max_page_size, 1000, "largest ListBundles page; larger page_size values are capped");
ABSL_FLAG(int, max_watches, 1000,
          "concurrent WatchBundles streams and SSE watches; more are refused with "
          "RESOURCE_EXHAUSTED / 429");
ABSL_FLAG(absl::Duration, watch_heartbeat_interval, absl::Seconds(15),
          "a watch with nothing to send sends a HEARTBEAT this often");
ABSL_FLAG(absl::Duration, watch_reauth_interval, absl::Minutes(1),
          "with --auth, how often an open watch has its token and grants checked again "
          "(TokenReview, SubjectAccessReview, cached for --auth_cache_ttl); a watch whose "
          "token expired or whose access was revoked ends with UNAUTHENTICATED / "
          "PERMISSION_DENIED");
ABSL_FLAG(int, watch_change_log_size, 4096,
          "changes kept for resuming watches; a watch further behind gets RESYNC and a snapshot");
ABSL_FLAG(std::string, watch_namespace, "",
          "serve only this namespace (the informer watches only it); empty: all namespaces");

namespace werf::gateway {

absl::StatusOr<GatewayFlags> ReadGatewayFlags() {
  GatewayFlags flags{
      .auth = absl::GetFlag(FLAGS_auth),
      .auth_cache_ttl = absl::GetFlag(FLAGS_auth_cache_ttl),
      .auth_token_audiences = absl::GetFlag(FLAGS_auth_token_audiences),
      .cors_allowed_origins = absl::GetFlag(FLAGS_cors_allowed_origins),
      .max_page_size = absl::GetFlag(FLAGS_max_page_size),
      .max_watches = absl::GetFlag(FLAGS_max_watches),
      .watch_heartbeat_interval = absl::GetFlag(FLAGS_watch_heartbeat_interval),
      .watch_reauth_interval = absl::GetFlag(FLAGS_watch_reauth_interval),
      .watch_change_log_size = absl::GetFlag(FLAGS_watch_change_log_size),
      .watch_namespace = absl::GetFlag(FLAGS_watch_namespace),
  };
  if (flags.auth_cache_ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--auth_cache_ttl must not be negative");
  }
  if (flags.max_page_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_page_size must be at least 1, got ", flags.max_page_size));
  }
  if (flags.max_watches < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_watches must not be negative, got ", flags.max_watches));
  }
  if (flags.watch_heartbeat_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--watch_heartbeat_interval must be positive");
  }
  if (flags.watch_reauth_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--watch_reauth_interval must be positive");
  }
  if (flags.watch_change_log_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--watch_change_log_size must be at least 1, got ", flags.watch_change_log_size));
  }
  return flags;
}

}  // namespace werf::gateway
