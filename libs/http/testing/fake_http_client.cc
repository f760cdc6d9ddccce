#include "libs/http/testing/fake_http_client.h"

#include <utility>

#include "absl/strings/match.h"
#include "libs/http/transport_error.h"

namespace werf::http::testing {
namespace {

absl::Status Cancelled(const HttpRequest& request) {
  return MakeTransportError(request.method, request.url,
                            {.failure = TransportFailure::kCancelled, .detail = "cancelled by the caller"});
}

bool IsCancelled(const HttpRequest& request) { return request.cancel != nullptr && request.cancel->load(); }

}  // namespace

void FakeHttpClient::Enqueue(absl::StatusOr<HttpResponse> answer) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(answer));
}

void FakeHttpClient::SetHandler(Handler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

void FakeHttpClient::SetDefault(absl::StatusOr<HttpResponse> answer) {
  absl::MutexLock lock(&mu_);
  default_ = std::move(answer);
}

absl::StatusOr<HttpResponse> FakeHttpClient::Answer(const HttpRequest& request) {
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    if (!queue_.empty()) {
      absl::StatusOr<HttpResponse> answer = std::move(queue_.front());
      queue_.pop_front();
      return answer;
    }
    if (!handler_) return default_;
    handler = handler_;
  }
  return handler(request);  // unlocked: a handler may block, or look at requests()
}

absl::StatusOr<HttpResponse> FakeHttpClient::Send(const HttpRequest& request) {
  absl::StatusOr<HttpResponse> answer = Answer(request);
  if (!answer.ok()) return answer;
  if (IsCancelled(request)) return Cancelled(request);
  HttpResponse& response = *answer;
  if (response.effective_url.empty()) response.effective_url = request.url;
  if (request.on_body_chunk && response.status >= 200 && response.status < 300) {
    const std::string body = std::move(response.body);
    response.body.clear();
    for (size_t start = 0; start < body.size();) {
      const size_t newline = body.find('\n', start);
      const size_t end = newline == std::string::npos ? body.size() : newline + 1;
      if (IsCancelled(request) || !request.on_body_chunk(absl::string_view(body).substr(start, end - start))) {
        return Cancelled(request);
      }
      start = end;
    }
    return answer;
  }
  if (request.max_body_bytes.has_value() && response.body.size() > *request.max_body_bytes) {
    response.body.resize(*request.max_body_bytes);
    response.body_over_limit = true;
  }
  return answer;
}

std::vector<HttpRequest> FakeHttpClient::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

size_t FakeHttpClient::request_count() const {
  absl::MutexLock lock(&mu_);
  return requests_.size();
}

HttpRequest FakeHttpClient::last_request() const {
  absl::MutexLock lock(&mu_);
  return requests_.empty() ? HttpRequest{} : requests_.back();
}

std::optional<std::string> RequestHeader(const HttpRequest& request, absl::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

}  // namespace werf::http::testing
