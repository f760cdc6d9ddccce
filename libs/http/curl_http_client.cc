#include "libs/http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/http/curl_options.h"
#include "libs/http/transport_error.h"

namespace werf::http {
namespace {

// curl_global_init is not thread-safe; a function-local static runs it once.
bool GlobalInit() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

// Where the response is assembled while curl runs.
struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* curl = nullptr;
  size_t max_header_bytes = 0;  // 0: no cap
  size_t header_bytes = 0;
  bool headers_over_limit = false;
  bool aborted_by_callback = false;
};

bool IsSuccess(CURL* curl) {
  long status = 0;  // NOLINT(runtime/int): curl's type
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  HttpResponse& response = *transfer->response;
  response.bytes_received += static_cast<int64_t>(bytes);
  // A refusal (e.g. a metav1.Status body) is collected for the caller's error, never streamed.
  if (transfer->request->on_body_chunk && IsSuccess(transfer->curl)) {
    if (!transfer->request->on_body_chunk(absl::string_view(data, bytes))) {
      transfer->aborted_by_callback = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  if (const std::optional<size_t>& max = transfer->request->max_body_bytes; max.has_value()) {
    const size_t room = *max - std::min(*max, response.body.size());
    if (bytes > room) {
      response.body.append(data, room);
      response.body_over_limit = true;
      return 0;
    }
  }
  response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  transfer->response->bytes_received += static_cast<int64_t>(bytes);
  transfer->header_bytes += bytes;
  if (transfer->max_header_bytes > 0 && transfer->header_bytes > transfer->max_header_bytes) {
    transfer->headers_over_limit = true;
    return 0;
  }
  AddHeaderLine(absl::string_view(data, bytes), transfer->response->headers);
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<Transfer*>(user);
  return transfer->request->cancel->load() ? 1 : 0;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{.data = const_cast<char*>(pem.data()), .len = pem.size(), .flags = CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

void SetTls(CURL* curl, const TlsOptions& tls) {
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  if (!tls.ca_pem.empty()) SetBlob(curl, CURLOPT_CAINFO_BLOB, tls.ca_pem);
  if (!tls.client_cert_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, tls.client_cert_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, tls.client_key_pem);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

void SetMethod(CURL* curl, const HttpRequest& request) {
  const internal::MethodPlan plan = internal::PlanMethod(request.method, !request.body.empty());
  switch (plan.mode) {
    case internal::MethodPlan::Mode::kGet:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      break;
    case internal::MethodPlan::Mode::kHead:
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
      break;
    case internal::MethodPlan::Mode::kPost:
      break;  // CURLOPT_POSTFIELDS below makes it a POST
    case internal::MethodPlan::Mode::kCustom:
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      break;
  }
  if (plan.send_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  }
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

absl::Status Append(Slist& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return absl::ResourceExhaustedError("curl_slist_append failed");
  if (list == nullptr) list.reset(head);  // later appends return the same head
  return absl::OkStatus();
}

}  // namespace

void CurlHttpClient::HandleDeleter::operator()(void* handle) const { curl_easy_cleanup(handle); }

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) : options_(std::move(options)) {}

CurlHttpClient::~CurlHttpClient() = default;

absl::StatusOr<CurlHttpClient::Handle> CurlHttpClient::Acquire() {
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

void CurlHttpClient::Release(Handle handle) {
  // Reset drops every option (credentials included) but keeps the connection and TLS session caches.
  curl_easy_reset(handle.get());
  absl::MutexLock lock(&mu_);
  if (idle_.size() < options_.max_idle_handles) idle_.push_back(std::move(handle));
}

absl::StatusOr<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  Slist headers;
  for (const auto& [name, value] : request.headers) {
    if (absl::Status appended = Append(headers, absl::StrCat(name, ": ", value)); !appended.ok()) return appended;
  }
  if (options_.no_expect_continue) {
    if (absl::Status appended = Append(headers, "Expect:"); !appended.ok()) return appended;
  }

  absl::StatusOr<Handle> acquired = Acquire();
  if (!acquired.ok()) return acquired.status();
  Handle handle = *std::move(acquired);
  CURL* curl = handle.get();

  HttpResponse response;
  Transfer transfer{.request = &request,
                    .response = &response,
                    .curl = curl,
                    .max_header_bytes = options_.max_header_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (options_.max_redirects > 0) {
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, static_cast<long>(options_.max_redirects));  // NOLINT
  }
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts must not use signals in a threaded process
  if (std::optional<long> ms = internal::CurlMilliseconds(request.connect_timeout)) {  // NOLINT
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, *ms);
  }
  if (std::optional<long> ms = internal::CurlMilliseconds(request.timeout)) {  // NOLINT
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, *ms);
  }
  if (options_.tcp_keepalive) curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!options_.user_agent.empty()) curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode; caps apply after decoding
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  if (request.cancel != nullptr) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  }
  // Refuses early when Content-Length announces too much; 0 would mean "no limit" to curl.
  // Not for a streamed body, which has no cap.
  if (request.max_body_bytes.value_or(0) > 0 && !request.on_body_chunk) {
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(*request.max_body_bytes));
  }
  SetMethod(curl, request);
  SetTls(curl, request.tls);

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;  // NOLINT(runtime/int): curl's type
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  char* effective_url = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective_url);
  response.status = static_cast<int>(status);
  response.effective_url = effective_url != nullptr ? effective_url : request.url;
  Release(std::move(handle));

  if (transfer.headers_over_limit) {
    return MakeTransportError(request.method, request.url,
                              {.failure = TransportFailure::kHeadersTooLarge,
                               .detail = absl::StrCat("response headers exceed ", options_.max_header_bytes, " bytes"),
                               .http_status = response.status});
  }
  if (code == CURLE_FILESIZE_EXCEEDED || (code == CURLE_WRITE_ERROR && response.body_over_limit)) {
    response.body_over_limit = true;
    return response;
  }
  if (code == CURLE_OK) return response;
  const TransportFailure failure =
      transfer.aborted_by_callback ? TransportFailure::kCancelled : internal::FailureOfCurlCode(code);
  return MakeTransportError(
      request.method, request.url,
      {.failure = failure, .detail = error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(code)});
}

}  // namespace werf::http
