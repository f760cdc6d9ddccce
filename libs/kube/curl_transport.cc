#include "libs/kube/curl_transport.h"

#include <curl/curl.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace werf::kube {
namespace {

// libcurl's global init is not thread-safe; do it once before any handle exists.
const bool kCurlInitialized = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();

constexpr size_t kIdleHandleLimit = 16;

struct Transfer {
  const HttpRequest* request;
  HttpResponse* response;
  CURL* curl;
  bool aborted_by_callback = false;
};

bool IsSuccess(CURL* curl) {
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  // A refusal (a metav1.Status body) is collected for the caller's error, never streamed.
  if (transfer->request->on_body_chunk && IsSuccess(transfer->curl)) {
    if (!transfer->request->on_body_chunk(absl::string_view(data, bytes))) {
      transfer->aborted_by_callback = true;
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
  } else {
    transfer->response->body.append(data, bytes);
  }
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  absl::string_view line(data, bytes);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    transfer->response->headers[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<Transfer*>(user);
  const std::atomic<bool>* cancel = transfer->request->cancel;
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

}  // namespace

CurlTransport::~CurlTransport() {
  absl::MutexLock lock(&mu_);
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* CurlTransport::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void CurlTransport::Release(void* handle) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < kIdleHandleLimit) {
    idle_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

absl::StatusOr<HttpResponse> CurlTransport::Perform(const HttpRequest& request) {
  if (!kCurlInitialized) return absl::InternalError("libcurl failed to initialize");
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return absl::ResourceExhaustedError("libcurl could not create a handle");
  // Reset keeps the handle's connection and TLS session caches, which is the point.
  curl_easy_reset(curl);

  HttpResponse response;
  Transfer transfer{&request, &response, curl};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  if (request.timeout > absl::ZeroDuration()) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
  }
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");

  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);

  if (!tls_.ca_pem.empty()) SetBlob(curl, CURLOPT_CAINFO_BLOB, tls_.ca_pem);
  if (!tls_.client_cert_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, tls_.client_cert_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, tls_.client_key_pem);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (tls_.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  // libcurl adds "Expect: 100-continue" to large bodies; the API server does not need the round trip.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  Release(curl);

  if (code == CURLE_OK) return response;
  const std::string detail =
      absl::StrCat(request.method, " ", request.url, ": ",
                   error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code));
  if (transfer.aborted_by_callback || code == CURLE_ABORTED_BY_CALLBACK) {
    return absl::CancelledError(absl::StrCat(detail, " (cancelled)"));
  }
  if (code == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(detail);
  return absl::UnavailableError(detail);
}

}  // namespace werf::kube
