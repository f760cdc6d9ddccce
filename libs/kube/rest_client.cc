#include "libs/kube/rest_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/backoff.h"
#include "libs/common/status_macros.h"
#include "libs/kube/api_error.h"

namespace werf::kube {

namespace {

// What client-go's metadata client asks for (k8s.io/client-go/metadata), in JSON: the
// server converts each object to meta.k8s.io/v1 PartialObjectMetadata, with a plain
// list (or object) as the fallback of servers that cannot.
constexpr absl::string_view kAcceptMetadataList =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
constexpr absl::string_view kAcceptMetadata =
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

std::string QueryEscape(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Appends "?k=v&..." for the non-empty values.
class Query {
 public:
  Query& Add(absl::string_view key, absl::string_view value) {
    if (!value.empty()) {
      absl::StrAppend(&text_, text_.empty() ? "?" : "&", key, "=", QueryEscape(value));
    }
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

absl::StatusOr<nlohmann::json> ParseObject(const std::string& body, absl::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(absl::StrCat(what, ": the API server answered with invalid JSON"));
  }
  return parsed;
}

std::string ObjectName(const nlohmann::json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return metadata->value("name", "");
}

bool IsIdempotent(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "DELETE";
}

std::optional<absl::Duration> ParseRetryAfter(const http::HttpHeaders& headers) {
  const std::optional<std::string> value = headers.Get("retry-after");
  int seconds = 0;
  if (!value.has_value() || !absl::SimpleAtoi(*value, &seconds) || seconds < 0) {
    return std::nullopt;
  }
  return absl::Seconds(seconds);
}

// The API server's trust, sent with each request (the client is per cluster).
http::TlsOptions TlsOf(const ClusterConfig& config) {
  return {.verify = !config.insecure_skip_tls_verify,
          .ca_pem = config.ca_pem,
          .client_cert_pem = config.client_cert_pem,
          .client_key_pem = config.client_key_pem};
}

// libcurl as the API server wants it: no redirects followed, no header cap, TCP
// keep-alive for long watches, no "Expect: 100-continue" round trip on large bodies.
http::CurlHttpClientOptions TransportOptions(const RestOptions& options) {
  return {.user_agent = options.user_agent,
          .max_header_bytes = 0,
          .max_redirects = 0,
          .tcp_keepalive = true,
          .no_expect_continue = true};
}

}  // namespace

absl::StatusOr<std::shared_ptr<RestClient>> RestClient::Create(ClusterConfig config,
                                                               RestOptions options) {
  if (config.server.empty()) {
    return absl::InvalidArgumentError("the cluster configuration has no API server address");
  }
  return std::shared_ptr<RestClient>(new HttpRestClient(std::move(config), std::move(options)));
}

HttpRestClient::HttpRestClient(ClusterConfig config, RestOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      transport_(TransportOptions(options_)),
      limiter_(options_.qps, options_.burst) {}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> HttpRestClient::Headers(
    absl::string_view content_type, absl::string_view accept) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept", accept.empty() ? "application/json" : std::string(accept)}, {"User-Agent", options_.user_agent}};
  if (!content_type.empty()) headers.emplace_back("Content-Type", std::string(content_type));
  if (config_.token != nullptr) {
    ASSIGN_OR_RETURN(std::string token, config_.token->Token());
    headers.emplace_back("Authorization", absl::StrCat("Bearer ", token));
  }
  return headers;
}

absl::StatusOr<std::string> HttpRestClient::Send(absl::string_view method,
                                                 const std::string& path_and_query, std::string body,
                                                 absl::string_view content_type,
                                                 absl::Duration timeout, std::optional<int> max_retries,
                                                 absl::string_view accept) {
  const std::string what = absl::StrCat(method, " ", path_and_query);
  const int retries = max_retries.value_or(options_.max_retries);
  absl::StatusOr<common::ExponentialBackoff> backoff = common::ExponentialBackoff::Create(
      {.initial = absl::Milliseconds(200), .max = absl::Seconds(5)});
  if (!backoff.ok()) return backoff.status();
  http::HttpRequest request{.method = std::string(method),
                            .url = config_.server + path_and_query,
                            .body = std::move(body),
                            .tls = TlsOf(config_),
                            .timeout = timeout,
                            .max_body_bytes = std::nullopt};
  absl::Status last;
  for (int attempt = 0; attempt <= retries; ++attempt) {
    limiter_.Wait();
    ASSIGN_OR_RETURN(request.headers, Headers(content_type, accept));
    requests_sent_.fetch_add(1);
    absl::StatusOr<http::HttpResponse> response = transport_.Send(request);
    const bool retries_left = attempt < retries;
    if (!response.ok()) {
      last = response.status();
      if (retries_left && IsIdempotent(method) && !absl::IsCancelled(last)) {
        absl::SleepFor(backoff->Next());
        continue;
      }
      return last;
    }
    if (response->status >= 200 && response->status < 300) return std::move(response->body);
    const std::optional<absl::Duration> retry_after = ParseRetryAfter(response->headers);
    last = StatusFromApiResponse(response->status, response->body, what, retry_after);
    if (retries_left && response->status == 429) {
      // Honour the server's pacing, but never sleep a controller for long.
      absl::SleepFor(std::min(retry_after.value_or(absl::Seconds(1)), absl::Seconds(10)));
      continue;
    }
    if (retries_left && IsIdempotent(method) && response->status >= 500 &&
        response->status != 501) {
      absl::SleepFor(retry_after.value_or(backoff->Next()));
      continue;
    }
    return last;
  }
  return last;
}

absl::StatusOr<nlohmann::json> HttpRestClient::Get(const Resource& resource, absl::string_view ns,
                                                   absl::string_view name,
                                                   absl::string_view subresource) {
  const std::string path = resource.Path(ns, name, subresource);
  ASSIGN_OR_RETURN(std::string body, Send("GET", path, "", "", options_.timeout));
  return ParseObject(body, path);
}

absl::StatusOr<ListResult> HttpRestClient::List(const Resource& resource, absl::string_view ns,
                                                const ListOptions& options) {
  Query query;
  query.Add("labelSelector", options.label_selector)
      .Add("fieldSelector", options.field_selector)
      .Add("limit", options.limit > 0 ? absl::StrCat(options.limit) : "")
      .Add("continue", options.continue_token)
      .Add("resourceVersion", options.resource_version);
  const std::string path = resource.Path(ns) + query.str();
  ASSIGN_OR_RETURN(std::string body, Send("GET", path, "", "", options_.timeout, std::nullopt,
                                          options.metadata_only ? kAcceptMetadataList : ""));
  ASSIGN_OR_RETURN(nlohmann::json list, ParseObject(body, path));
  ListResult result;
  if (list.contains("items") && list["items"].is_array()) {
    result.items.reserve(list["items"].size());
    for (nlohmann::json& item : list["items"]) result.items.push_back(std::move(item));
  }
  if (list.contains("metadata") && list["metadata"].is_object()) {
    result.resource_version = list["metadata"].value("resourceVersion", "");
    result.continue_token = list["metadata"].value("continue", "");
  }
  return result;
}

absl::StatusOr<ListResult> RestClient::ListAll(const Resource& resource, absl::string_view ns,
                                               const ListOptions& options) {
  ListResult all;
  ASSIGN_OR_RETURN(all.resource_version,
                   ListEach(resource, ns, options, [&all](nlohmann::json item) { all.items.push_back(std::move(item)); }));
  return all;
}

absl::StatusOr<std::string> RestClient::ListEach(const Resource& resource, absl::string_view ns,
                                                 const ListOptions& options,
                                                 const std::function<void(nlohmann::json item)>& each) {
  ListOptions page_options = options;
  std::string resource_version;
  bool first = true;
  do {
    ASSIGN_OR_RETURN(ListResult page, List(resource, ns, page_options));
    if (first) resource_version = page.resource_version;
    first = false;
    for (nlohmann::json& item : page.items) each(std::move(item));
    page_options.continue_token = page.continue_token;
    // A continued list must not name a resourceVersion; the token pins it.
    page_options.resource_version.clear();
  } while (!page_options.continue_token.empty());
  return resource_version;
}

absl::StatusOr<nlohmann::json> HttpRestClient::Create(const Resource& resource, absl::string_view ns,
                                                      const nlohmann::json& object) {
  const std::string path = resource.Path(ns);
  ASSIGN_OR_RETURN(std::string body,
                   Send("POST", path, object.dump(), "application/json", options_.timeout));
  return ParseObject(body, path);
}

absl::StatusOr<nlohmann::json> HttpRestClient::Update(const Resource& resource, absl::string_view ns,
                                                      const nlohmann::json& object,
                                                      absl::string_view subresource) {
  const std::string name = ObjectName(object);
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("update of ", resource.DisplayName(), ": the object has no metadata.name"));
  }
  const std::string path = resource.Path(ns, name, subresource);
  ASSIGN_OR_RETURN(std::string body,
                   Send("PUT", path, object.dump(), "application/json", options_.timeout));
  return ParseObject(body, path);
}

absl::StatusOr<nlohmann::json> HttpRestClient::Patch(const Resource& resource, absl::string_view ns,
                                                     absl::string_view name, PatchType type,
                                                     const nlohmann::json& patch,
                                                     absl::string_view subresource) {
  absl::string_view content_type = "application/merge-patch+json";
  if (type == PatchType::kJson) content_type = "application/json-patch+json";
  if (type == PatchType::kStrategicMerge) content_type = "application/strategic-merge-patch+json";
  const std::string path = resource.Path(ns, name, subresource);
  ASSIGN_OR_RETURN(std::string body,
                   Send("PATCH", path, patch.dump(), content_type, options_.timeout));
  return ParseObject(body, path);
}

absl::StatusOr<nlohmann::json> HttpRestClient::Apply(const Resource& resource, absl::string_view ns,
                                                     absl::string_view name,
                                                     const nlohmann::json& object,
                                                     absl::string_view field_manager, bool force,
                                                     absl::string_view subresource) {
  Query query;
  query.Add("fieldManager", field_manager).Add("force", force ? "true" : "");
  const std::string path = resource.Path(ns, name, subresource) + query.str();
  ASSIGN_OR_RETURN(std::string body, Send("PATCH", path, object.dump(),
                                          "application/apply-patch+yaml", options_.timeout));
  return ParseObject(body, path);
}

absl::Status HttpRestClient::Delete(const Resource& resource, absl::string_view ns,
                                    absl::string_view name, const DeleteOptions& options) {
  nlohmann::json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  return Send("DELETE", resource.Path(ns, name), body.dump(), "application/json",
              options_.timeout)
      .status();
}

absl::Status HttpRestClient::Watch(const Resource& resource, absl::string_view ns,
                                   const WatchOptions& options,
                                   const std::function<bool(absl::string_view)>& on_chunk,
                                   const std::atomic<bool>* stop) {
  Query query;
  query.Add("watch", "1")
      .Add("resourceVersion", options.resource_version)
      .Add("labelSelector", options.label_selector)
      .Add("fieldSelector", options.field_selector)
      .Add("timeoutSeconds", absl::StrCat(options.timeout_seconds))
      .Add("allowWatchBookmarks", options.allow_bookmarks ? "true" : "");
  const std::string path = resource.Path(ns) + query.str();
  limiter_.Wait();
  ASSIGN_OR_RETURN(auto headers, Headers("", options.metadata_only ? kAcceptMetadata : ""));
  // A refusal's body (a Status object) is not streamed: the transport collects it.
  http::HttpRequest request{.method = "GET",
                            .url = config_.server + path,
                            .headers = std::move(headers),
                            .tls = TlsOf(config_),
                            // The server ends the watch at timeoutSeconds; allow for slack.
                            .timeout = absl::Seconds(options.timeout_seconds + 30),
                            .max_body_bytes = std::nullopt,
                            .on_body_chunk = on_chunk,
                            .cancel = stop};
  requests_sent_.fetch_add(1);
  absl::StatusOr<http::HttpResponse> response = transport_.Send(request);
  if (!response.ok()) return response.status();
  if (response->status >= 200 && response->status < 300) return absl::OkStatus();
  return StatusFromApiResponse(response->status, response->body, absl::StrCat("GET ", path),
                               ParseRetryAfter(response->headers));
}

absl::StatusOr<std::string> HttpRestClient::PodLogs(absl::string_view ns, absl::string_view pod,
                                                    absl::string_view container, int tail_lines,
                                                    int64_t limit_bytes) {
  Query query;
  query.Add("container", container)
      .Add("tailLines", tail_lines > 0 ? absl::StrCat(tail_lines) : "")
      .Add("limitBytes", limit_bytes > 0 ? absl::StrCat(limit_bytes) : "");
  // No retries: a 5xx here is the API server failing to reach the node's kubelet, which
  // a retry within a second does not mend, and the log is best effort (a Job's result
  // comes from its status). Retrying cost each finished Job 1.4 s of backoff.
  return Send("GET", resources::kPods.Path(ns, pod, "log") + query.str(), "", "",
              options_.timeout, /*max_retries=*/0);
}

absl::StatusOr<nlohmann::json> HttpRestClient::Call(absl::string_view method,
                                                    absl::string_view path_and_query,
                                                    const nlohmann::json* body,
                                                    absl::string_view content_type) {
  const std::string path(path_and_query);
  ASSIGN_OR_RETURN(std::string answer, Send(method, path, body ? body->dump() : "",
                                            body ? content_type : "", options_.timeout));
  return ParseObject(answer, path);
}

}  // namespace werf::kube
