#include "libs/oci/registry_client.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/status_context.h"
#include "libs/common/status_macros.h"
#include "libs/http/curl_http_client.h"
#include "libs/oci/ca_bundle.h"
#include "libs/oci/digest.h"
#include "libs/oci/link_header.h"
#include "libs/oci/registry_errors.h"
#include "libs/oci/tag_list.h"
#include "libs/oci/transport_errors.h"
#include "libs/oci/url.h"
#include "nlohmann/json.hpp"

namespace werf::oci {

// One public operation in flight.
struct RegistryClient::Call {
  Call(const RepositoryRef& repository, const RegistryAccess& access, std::string operation)
      : repository(repository), access(access), operation(std::move(operation)) {
    error_context.repository = &repository;
    error_context.sent_credentials = access.has_credentials();
  }

  const RepositoryRef& repository;
  const RegistryAccess& access;
  const std::string operation;  // "list tags of registry/path", for error messages
  ErrorContext error_context;
  RequestStats stats;
  std::optional<RateLimitInfo> rate_limit;
};

namespace {

void SetHeader(http::HttpRequest& request, absl::string_view name, absl::string_view value) {
  std::erase_if(request.headers, [name](const auto& header) { return absl::EqualsIgnoreCase(header.first, name); });
  request.headers.emplace_back(std::string(name), std::string(value));
}

bool IsTransientStatus(int status) { return status == 502 || status == 503 || status == 504; }

absl::Status InvalidResponse(absl::string_view message, int http_status) {
  return MakeError(absl::StatusCode::kDataLoss, message,
                   {.reason = ErrorReason::kInvalidResponse, .http_status = http_status});
}

std::string OriginOf(absl::string_view url) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  return parsed.ok() ? parsed->Origin() : std::string();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistryClient>> RegistryClient::Create(RegistryClientOptions options) {
  if (options.page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (options.max_tags == 0) return absl::InvalidArgumentError("max_tags must be positive");
  if (options.transient_retries < 0) return absl::InvalidArgumentError("transient_retries must not be negative");
  if (options.transport == nullptr) options.transport = std::make_shared<http::CurlHttpClient>();
  return std::unique_ptr<RegistryClient>(new RegistryClient(std::move(options)));
}

RegistryClient::RegistryClient(RegistryClientOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()),
      transport_(options_.transport),
      metrics_(options_.metrics),
      throttle_(clock_),
      auth_(clock_, RegistryAuthOptions{.max_cached_tokens = options_.max_cached_tokens,
                                        .client_id = options_.client_id,
                                        .connect_timeout = options_.connect_timeout,
                                        .timeout = options_.request_timeout}) {}

std::optional<absl::Time> RegistryClient::NotBefore(absl::string_view registry) const {
  return throttle_.NotBefore(CanonicalRegistry(registry));
}

std::string RegistryClient::BaseUrl(const Call& call) const {
  absl::string_view scheme = "https";
  switch (call.access.security) {
    case TransportSecurity::kTls:
    case TransportSecurity::kTlsSkipVerify:
      break;
    case TransportSecurity::kPlainHttp:
      scheme = "http";
      break;
    case TransportSecurity::kInsecure: {
      absl::MutexLock lock(&mu_);
      auto it = insecure_schemes_.find(call.repository.registry());
      if (it != insecure_schemes_.end()) scheme = it->second;
      break;
    }
  }
  return absl::StrCat(scheme, "://", call.repository.endpoint());
}

AuthTarget RegistryClient::MakeAuthTarget(const Call& call) const {
  const TransportSecurity security = call.access.security;
  return AuthTarget{
      .repository = &call.repository,
      .access = &call.access,
      .tls = http::TlsOptions{.verify = security == TransportSecurity::kTls, .ca_pem = call.access.ca_pem},
      .plain_http_allowed = security == TransportSecurity::kPlainHttp || security == TransportSecurity::kInsecure,
  };
}

absl::Status RegistryClient::RateLimitedError(const Call& call, absl::Time until, int http_status) const {
  return MakeError(absl::StatusCode::kResourceExhausted,
                   absl::StrCat(call.repository.registry(), " is rate limiting us (",
                                http_status != 0 ? absl::StrCat("HTTP ", http_status) : "earlier HTTP 429",
                                "): no requests before ", absl::FormatTime(absl::RFC3339_sec, until, absl::UTCTimeZone()),
                                "; polling resumes then"),
                   {.reason = ErrorReason::kRateLimited, .http_status = http_status, .retry_after = until});
}

absl::Status RegistryClient::DeferRegistry(const Call& call, const http::HttpResponse& response) {
  const absl::Time now = clock_.Now();
  std::optional<absl::Time> until;
  if (std::optional<std::string> retry_after = response.headers.Get("retry-after")) {
    until = ParseRetryAfter(*retry_after, now);
  }
  if (!until.has_value()) until = now + options_.default_retry_after;
  until = std::min(*until, now + options_.max_retry_after);
  PauseFromResponse(call, *until,
                    absl::StrCat("HTTP ", response.status, ", Retry-After: ",
                                 response.headers.Get("retry-after").value_or("(none)")));
  if (response.status == 429) return RateLimitedError(call, *until, response.status);
  return MakeError(absl::StatusCode::kUnavailable,
                   absl::StrCat(call.repository.registry(), " is unavailable (HTTP ", response.status,
                                ") and asked for no requests before ",
                                absl::FormatTime(absl::RFC3339_sec, *until, absl::UTCTimeZone())),
                   {.reason = ErrorReason::kUnavailable, .http_status = response.status, .retry_after = until});
}

void RegistryClient::PauseFromResponse(const Call& call, absl::Time until, std::string reason) {
  if (!throttle_.Defer(call.repository.registry(), until) || !pause_listener_) return;
  pause_listener_(RegistryPause{.registry = call.repository.registry(), .until = until, .reason = std::move(reason)});
}

void RegistryClient::Pause(absl::string_view registry, absl::Time until) {
  throttle_.Defer(CanonicalRegistry(registry), std::min(until, clock_.Now() + options_.max_retry_after));
}

absl::Status RegistryClient::StartCall(Call& call) {
  if (!call.access.ca_pem.empty()) {
    if (absl::Status valid = ValidateCaBundle(call.access.ca_pem); !valid.ok()) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("registry.caSecretRef for ", call.repository.registry(), ": ", valid.message()),
                       {.reason = ErrorReason::kCredentials});
    }
  }
  if (std::optional<absl::Time> not_before = throttle_.NotBefore(call.repository.registry())) {
    metrics_.RecordRateLimitWait(call.repository.registry());
    return RateLimitedError(call, *not_before, 0);
  }
  return absl::OkStatus();
}

absl::StatusOr<http::HttpResponse> RegistryClient::SendCounted(Call& call, const http::HttpRequest& request) {
  const absl::Time start = clock_.Now();
  absl::StatusOr<http::HttpResponse> response = transport_->Send(request);
  if (!response.ok()) response = FromTransportError(response.status(), request);
  ++call.stats.requests;
  if (response.ok()) call.stats.bytes_received += response->bytes_received;
  metrics_.RecordRequest(call.repository.registry(), response.ok() ? response->status : 0, clock_.Now() - start);
  return response;
}

absl::StatusOr<http::HttpResponse> RegistryClient::SendWithSchemeFallback(Call& call, http::HttpRequest& request) {
  absl::StatusOr<http::HttpResponse> response = SendCounted(call, request);
  if (call.access.security != TransportSecurity::kInsecure) return response;
  const std::string https_base = absl::StrCat("https://", call.repository.endpoint());
  if (!absl::StartsWith(request.url, https_base)) return response;
  if (response.ok()) {
    absl::MutexLock lock(&mu_);
    insecure_schemes_.try_emplace(call.repository.registry(), "https");
    return response;
  }
  if (ClassifyError(response.status()) != ErrorReason::kTls) return response;
  // No TLS spoken there: an insecure registry may use plain HTTP, from now on.
  {
    absl::MutexLock lock(&mu_);
    insecure_schemes_.insert_or_assign(call.repository.registry(), "http");
  }
  request.url = absl::StrCat("http://", absl::StripPrefix(request.url, "https://"));
  return SendCounted(call, request);
}

absl::StatusOr<http::HttpResponse> RegistryClient::FetchManifest(Call& call, http::HttpRequest request) {
  ASSIGN_OR_RETURN(http::HttpResponse get, Execute(call, std::move(request)));
  if (get.status != 200) return ErrorFromResponse(call.error_context, get);
  if (get.body_over_limit) {
    return InvalidResponse(
        absl::StrCat("the manifest is larger than ", options_.max_manifest_bytes, " bytes (max_manifest_bytes)"),
        get.status);
  }
  return get;
}

absl::StatusOr<http::HttpResponse> RegistryClient::Execute(Call& call, http::HttpRequest request) {
  const AuthTarget target = MakeAuthTarget(call);
  request.tls = target.tls;
  request.connect_timeout = options_.connect_timeout;
  request.timeout = options_.request_timeout;
  auto send = [this, &call](const http::HttpRequest& token_request) { return SendCounted(call, token_request); };

  ASSIGN_OR_RETURN(const std::optional<std::string> authorization, auth_.Authorize(target, send));
  if (authorization.has_value()) SetHeader(request, "Authorization", *authorization);

  const bool retryable_method = request.method != "POST";
  bool answered_challenge = false;
  int retries_left = options_.transient_retries;
  absl::Duration retry_delay = options_.transient_retry_delay;
  auto retry_transient = [&]() {
    if (!retryable_method || retries_left == 0) return false;
    --retries_left;
    clock_.SleepFor(retry_delay);
    retry_delay *= 2;
    return true;
  };

  while (true) {
    absl::StatusOr<http::HttpResponse> response = SendWithSchemeFallback(call, request);
    if (!response.ok()) {
      if (ClassifyError(response.status()) == ErrorReason::kUnavailable && retry_transient()) continue;
      return ErrorFromTransport(call.error_context, response.status(), !call.access.ca_pem.empty());
    }
    if (std::optional<RateLimitInfo> rate_limit = ParseRateLimitInfo(
            response->headers.GetJoined("ratelimit-remaining"), response->headers.GetJoined("ratelimit-limit"))) {
      call.rate_limit = rate_limit;
      // The budget is spent: stop before the registry has to say 429. Its window is
      // the longest the wait can be; without one, the same wait as a bare 429.
      if (rate_limit->remaining <= 0) {
        const absl::Time now = clock_.Now();
        PauseFromResponse(call,
                          now + std::min(rate_limit->window.value_or(options_.default_retry_after),
                                         options_.max_retry_after),
                          absl::StrCat("RateLimit-Remaining: ", rate_limit->remaining));
      }
    }
    const int status = response->status;
    const std::string challenge = response->headers.GetJoined("www-authenticate");
    // A 401 without a challenge leaves nothing to answer; the caller reports it as unauthorized.
    if (status == 401 && !answered_challenge && !challenge.empty()) {
      answered_challenge = true;
      ASSIGN_OR_RETURN(const std::string header, auth_.OnChallenge(target, challenge, send));
      SetHeader(request, "Authorization", header);
      continue;
    }
    if (status == 429 || (status == 503 && response->headers.Get("retry-after").has_value())) {
      return DeferRegistry(call, *response);
    }
    if (IsTransientStatus(status) && retry_transient()) continue;
    return response;
  }
}

absl::StatusOr<TagListResult> RegistryClient::ListTags(const RepositoryRef& repository, const RegistryAccess& access,
                                                       absl::string_view if_none_match) {
  Call call(repository, access, absl::StrCat("list tags of ", repository.ToString()));
  auto fail = [&call](const absl::Status& status) { return common::WithContext(status, call.operation); };
  if (absl::Status started = StartCall(call); !started.ok()) return fail(started);

  const std::string list_path = absl::StrCat("/v2/", repository.path(), "/tags/list");
  const std::string page_query = options_.page_size > 0 ? absl::StrCat("?n=", options_.page_size) : "";
  std::string url = absl::StrCat(BaseUrl(call), list_path, page_query);
  absl::flat_hash_set<std::string> visited = {url};
  TagListResult result;
  std::string first_etag;
  size_t bytes_left = options_.max_tag_list_bytes;

  while (true) {
    http::HttpRequest request{.method = "GET", .url = url, .max_body_bytes = bytes_left};
    request.headers.emplace_back("Accept", "application/json");
    const bool conditional = result.pages == 0 && !if_none_match.empty();
    if (conditional) request.headers.emplace_back("If-None-Match", std::string(if_none_match));
    absl::StatusOr<http::HttpResponse> response = Execute(call, std::move(request));
    if (!response.ok()) return fail(response.status());
    if (conditional && response->status == 304) {
      metrics_.RecordNotModified(repository.registry());
      result.not_modified = true;
      result.etag = response->headers.Get("etag").value_or(std::string(if_none_match));
      break;
    }
    if (response->status != 200) return fail(ErrorFromResponse(call.error_context, *response));
    ++result.pages;
    if (response->body_over_limit) {
      if (result.tags.empty()) {
        return fail(InvalidResponse(absl::StrCat("the tag list is larger than ", options_.max_tag_list_bytes,
                                                 " bytes (max_tag_list_bytes)"),
                                    response->status));
      }
      result.truncated = true;
      break;
    }
    bytes_left -= std::min(bytes_left, response->body.size());
    absl::StatusOr<TagListPage> page = ParseTagListPage(response->body, options_.max_tags - result.tags.size());
    if (!page.ok()) return fail(InvalidResponse(page.status().message(), response->status));
    if (result.pages == 1) first_etag = response->headers.Get("etag").value_or("");
    const size_t page_tags = page->tags.size() + page->invalid_tags;
    const std::string last_tag = page->tags.empty() ? "" : page->tags.back();
    result.invalid_tags += page->invalid_tags;
    result.tags.insert(result.tags.end(), std::make_move_iterator(page->tags.begin()),
                       std::make_move_iterator(page->tags.end()));
    if (page->over_cap) {
      result.truncated = true;
      break;
    }

    std::optional<std::string> next;
    if (const std::string link = response->headers.GetJoined("link"); !link.empty()) {
      absl::StatusOr<std::optional<std::string>> target = FindNextLink(link);
      if (!target.ok()) return fail(InvalidResponse(target.status().message(), response->status));
      if (target->has_value()) {
        absl::StatusOr<std::string> resolved = ResolveUrl(response->effective_url, **target);
        if (!resolved.ok()) {
          return fail(InvalidResponse(absl::StrCat("pagination link: ", resolved.status().message()), response->status));
        }
        // Credentials go with every page, so pages must come from the registry itself.
        if (OriginOf(*resolved) != OriginOf(BaseUrl(call))) {
          return fail(InvalidResponse(absl::StrCat("the pagination link leads to another host (",
                                                   OriginOf(*resolved), "); not following it"),
                                      response->status));
        }
        next = *std::move(resolved);
      }
    } else if (options_.page_size > 0 && page_tags == static_cast<size_t>(options_.page_size) &&
               !last_tag.empty()) {
      // No Link, but a full page: ask for what follows the last tag (distribution's n/last).
      next = absl::StrCat(BaseUrl(call), list_path, page_query, "&last=", QueryEscape(last_tag));
    }
    if (!next.has_value()) break;
    if (result.tags.size() >= options_.max_tags || bytes_left == 0) {
      result.truncated = true;
      break;
    }
    if (!visited.insert(*next).second) {
      return fail(InvalidResponse(absl::StrCat("the pagination links loop (", *next, " again)"), response->status));
    }
    url = *std::move(next);
  }

  if (!result.not_modified && result.pages == 1 && !result.truncated) result.etag = std::move(first_etag);
  result.stats = call.stats;
  result.rate_limit = call.rate_limit;
  return result;
}

absl::StatusOr<DigestResult> RegistryClient::GetDigest(const RepositoryRef& repository, const RegistryAccess& access,
                                                       absl::string_view tag) {
  Call call(repository, access, absl::StrCat("get the digest of ", repository.ToString(), ":", tag));
  auto fail = [&call](const absl::Status& status) { return common::WithContext(status, call.operation); };
  if (absl::Status valid = ValidateTag(tag); !valid.ok()) return fail(valid);
  call.error_context.tag = std::string(tag);
  if (absl::Status started = StartCall(call); !started.ok()) return fail(started);

  const std::string url = absl::StrCat(BaseUrl(call), "/v2/", repository.path(), "/manifests/", tag);
  auto request = [&](absl::string_view method) {
    http::HttpRequest manifest_request{.method = std::string(method), .url = url, .max_body_bytes = options_.max_manifest_bytes};
    manifest_request.headers.emplace_back("Accept", std::string(kManifestAccept));
    return manifest_request;
  };
  DigestResult result;
  auto finish = [&](const http::HttpResponse& response, absl::string_view digest) -> absl::StatusOr<DigestResult> {
    if (absl::Status valid = ValidateDigest(digest); !valid.ok()) {
      return fail(InvalidResponse(absl::StrCat("Docker-Content-Digest: ", valid.message()), response.status));
    }
    result.digest = std::string(digest);
    result.media_type = response.headers.Get("content-type").value_or("");
    result.stats = call.stats;
    result.rate_limit = call.rate_limit;
    return result;
  };

  absl::StatusOr<http::HttpResponse> head = Execute(call, request("HEAD"));
  if (!head.ok()) return fail(head.status());
  // Some registries do not implement HEAD; GET then.
  const bool head_unsupported = head->status == 405 || head->status == 501;
  if (!head_unsupported && head->status != 200) return fail(ErrorFromResponse(call.error_context, *head));
  if (!head_unsupported) {
    if (std::optional<std::string> digest = head->headers.Get("docker-content-digest")) return finish(*head, *digest);
  }

  absl::StatusOr<http::HttpResponse> get = FetchManifest(call, request("GET"));
  if (!get.ok()) return fail(get.status());
  if (std::optional<std::string> digest = get->headers.Get("docker-content-digest")) return finish(*get, *digest);
  result.computed_from_body = true;
  return finish(*get, Sha256Digest(get->body));
}

absl::StatusOr<ManifestResult> RegistryClient::GetManifest(const RepositoryRef& repository,
                                                           const RegistryAccess& access,
                                                           absl::string_view reference) {
  Call call(repository, access, absl::StrCat("get the manifest ", repository.ToString(), "@", reference));
  auto fail = [&call](const absl::Status& status) { return common::WithContext(status, call.operation); };
  const bool by_digest = absl::StrContains(reference, ":");
  if (absl::Status valid = by_digest ? ValidateDigest(reference) : ValidateTag(reference); !valid.ok()) {
    return fail(valid);
  }
  if (!by_digest) call.error_context.tag = std::string(reference);
  if (absl::Status started = StartCall(call); !started.ok()) return fail(started);
  http::HttpRequest request{.method = "GET",
                      .url = absl::StrCat(BaseUrl(call), "/v2/", repository.path(), "/manifests/", reference),
                      .max_body_bytes = options_.max_manifest_bytes};
  request.headers.emplace_back("Accept", std::string(kManifestAccept));
  absl::StatusOr<http::HttpResponse> get = FetchManifest(call, std::move(request));
  if (!get.ok()) return fail(get.status());
  ManifestResult result{.digest = Sha256Digest(get->body),
                        .media_type = get->headers.Get("content-type").value_or(""),
                        .stats = call.stats};
  if (by_digest && result.digest != reference) {
    return fail(InvalidResponse(absl::StrCat("the manifest's digest is ", result.digest), get->status));
  }
  const nlohmann::json manifest = nlohmann::json::parse(get->body, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object()) return fail(InvalidResponse("the manifest is not a JSON object", get->status));
  if (const auto annotations = manifest.find("annotations"); annotations != manifest.end() && annotations->is_object()) {
    for (const auto& [key, value] : annotations->items()) {
      if (value.is_string()) result.annotations[key] = value.get<std::string>();
    }
  }
  return result;
}

}  // namespace werf::oci
