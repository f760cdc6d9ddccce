#include "libs/oci/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/oci/errors.h"
#include "libs/oci/url.h"

namespace werf::oci {
namespace {

// curl_global_init is not thread-safe; a function-local static runs it once.
bool GlobalInit() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

// Where the response is assembled while curl runs.
struct Collector {
  HttpResponse* response = nullptr;
  size_t max_body_bytes = 0;
  size_t max_header_bytes = 0;
  size_t header_bytes = 0;
  bool headers_over_limit = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* collector = static_cast<Collector*>(user);
  const size_t bytes = size * count;
  HttpResponse& response = *collector->response;
  response.bytes_received += static_cast<int64_t>(bytes);
  const size_t room = collector->max_body_bytes - std::min(collector->max_body_bytes, response.body.size());
  if (bytes > room) {
    response.body.append(data, room);
    response.body_over_limit = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* collector = static_cast<Collector*>(user);
  const size_t bytes = size * count;
  collector->response->bytes_received += static_cast<int64_t>(bytes);
  collector->header_bytes += bytes;
  if (collector->header_bytes > collector->max_header_bytes) {
    collector->headers_over_limit = true;
    return 0;
  }
  absl::string_view line(data, bytes);
  HttpHeaders& headers = collector->response->headers;
  // Each response (redirects, 100 Continue) starts with a status line; keep only the last one's headers.
  if (absl::StartsWith(line, "HTTP/")) {
    headers.Clear();
    return bytes;
  }
  line = absl::StripTrailingAsciiWhitespace(line);
  const size_t colon = line.find(':');
  if (line.empty() || colon == absl::string_view::npos || colon == 0) return bytes;
  headers.Add(line.substr(0, colon), absl::StripAsciiWhitespace(line.substr(colon + 1)));
  return bytes;
}

std::string OriginOf(absl::string_view url) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  return parsed.ok() ? parsed->Origin() : std::string(url.substr(0, 200));
}

absl::Status TransportError(CURLcode code, const char* error_buffer, const HttpRequest& request) {
  const std::string origin = OriginOf(request.url);
  const std::string detail = error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(code);
  const std::string what = absl::StrCat(HttpMethodName(request.method), " ", origin, ": ");
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return MakeError(absl::StatusCode::kFailedPrecondition, absl::StrCat(what, "TLS failed: ", detail),
                       {.reason = ErrorReason::kTls});
    case CURLE_OPERATION_TIMEDOUT:
      return MakeError(absl::StatusCode::kUnavailable, absl::StrCat(what, "timed out (", detail, ")"),
                       {.reason = ErrorReason::kUnavailable});
    case CURLE_PARTIAL_FILE:
      return MakeError(absl::StatusCode::kDataLoss, absl::StrCat(what, "truncated response body (", detail, ")"),
                       {.reason = ErrorReason::kInvalidResponse});
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return MakeError(absl::StatusCode::kDataLoss, absl::StrCat(what, "invalid response (", detail, ")"),
                       {.reason = ErrorReason::kInvalidResponse});
    case CURLE_URL_MALFORMAT:
      return MakeError(absl::StatusCode::kInvalidArgument, absl::StrCat(what, detail), {});
    default:
      return MakeError(absl::StatusCode::kUnavailable, absl::StrCat(what, detail),
                       {.reason = ErrorReason::kUnavailable});
  }
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

long Milliseconds(absl::Duration duration) {  // NOLINT(runtime/int): curl's option type
  return static_cast<long>(std::clamp<int64_t>(absl::ToInt64Milliseconds(duration), 1, int64_t{1} << 30));  // NOLINT
}

}  // namespace

void CurlTransport::HandleDeleter::operator()(void* handle) const { curl_easy_cleanup(handle); }

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {}

CurlTransport::~CurlTransport() = default;

absl::StatusOr<CurlTransport::Handle> CurlTransport::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      Handle handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  if (!GlobalInit()) return absl::InternalError("curl_global_init failed");
  Handle handle(curl_easy_init());
  if (handle == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  return handle;
}

void CurlTransport::Release(Handle handle) {
  // Reset drops every option (credentials included) but keeps the connection cache.
  curl_easy_reset(handle.get());
  absl::MutexLock lock(&mu_);
  if (idle_.size() < options_.max_idle_handles) idle_.push_back(std::move(handle));
}

absl::StatusOr<HttpResponse> CurlTransport::Send(const HttpRequest& request) {
  absl::StatusOr<Handle> acquired = Acquire();
  if (!acquired.ok()) return acquired.status();
  Handle handle = *std::move(acquired);
  CURL* curl = handle.get();

  HttpResponse response;
  Collector collector{.response = &response,
                      .max_body_bytes = request.max_body_bytes,
                      .max_header_bytes = options_.max_header_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    curl_slist* head = curl_slist_append(headers.get(), absl::StrCat(name, ": ", value).c_str());
    if (head == nullptr) return absl::ResourceExhaustedError("curl_slist_append failed");
    if (headers == nullptr) headers.reset(head);  // later appends return the same head
  }

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, static_cast<long>(options_.max_redirects));  // NOLINT
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts must not use signals in a threaded process
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, Milliseconds(request.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, Milliseconds(request.timeout));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode; caps apply after decoding
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &collector);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &collector);
  // Refuses early when Content-Length announces too much; 0 would mean "no limit" to curl.
  if (request.max_body_bytes > 0) {
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body_bytes));
  }
  switch (request.method) {
    case HttpMethod::kGet:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      break;
    case HttpMethod::kHead:
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
      break;
    case HttpMethod::kPost:
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      break;
  }
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, request.tls.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2L : 0L);
  if (!request.tls.ca_pem.empty()) {
    curl_blob blob{.data = const_cast<char*>(request.tls.ca_pem.data()),
                   .len = request.tls.ca_pem.size(),
                   .flags = CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;  // NOLINT(runtime/int): curl's type
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  char* effective_url = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective_url);
  response.status = static_cast<int>(status);
  response.effective_url = effective_url != nullptr ? effective_url : request.url;
  Release(std::move(handle));

  if (collector.headers_over_limit) {
    return MakeError(absl::StatusCode::kDataLoss,
                     absl::StrCat(HttpMethodName(request.method), " ", OriginOf(request.url), ": response headers exceed ",
                                  options_.max_header_bytes, " bytes"),
                     {.reason = ErrorReason::kInvalidResponse, .http_status = response.status});
  }
  if (code == CURLE_FILESIZE_EXCEEDED || (code == CURLE_WRITE_ERROR && response.body_over_limit)) {
    response.body_over_limit = true;
    return response;
  }
  if (code != CURLE_OK) return TransportError(code, error_buffer, request);
  return response;
}

}  // namespace werf::oci
