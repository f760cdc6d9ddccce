// A scripted HttpClient for unit tests: answers come from a queue, then from a
// handler, then a default (200, empty); every request is recorded. It behaves
// like CurlHttpClient where callers can tell: max_body_bytes truncates and sets
// body_over_limit, a 2xx body is streamed to on_body_chunk (one line per call,
// as a watch server flushes events) and not returned, and `cancel` or a false
// from on_body_chunk ends the exchange with a kCancelled transport error.
#ifndef WERF_OPERATOR_LIBS_HTTP_TESTING_FAKE_HTTP_CLIENT_H_
#define WERF_OPERATOR_LIBS_HTTP_TESTING_FAKE_HTTP_CLIENT_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libs/http/http_client.h"

namespace werf::http::testing {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  FakeHttpClient() = default;
  explicit FakeHttpClient(Handler handler) : handler_(std::move(handler)) {}

  // The next unanswered request gets `answer`.
  void Enqueue(absl::StatusOr<HttpResponse> answer) ABSL_LOCKS_EXCLUDED(mu_);
  // Answers once the queue is empty (instead of the default).
  void SetHandler(Handler handler) ABSL_LOCKS_EXCLUDED(mu_);
  // The answer when neither the queue nor a handler has one.
  void SetDefault(absl::StatusOr<HttpResponse> answer) ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override ABSL_LOCKS_EXCLUDED(mu_);

  // Copies of every request sent, in order.
  std::vector<HttpRequest> requests() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t request_count() const ABSL_LOCKS_EXCLUDED(mu_);
  // The last request; a default-constructed one when there is none.
  HttpRequest last_request() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<HttpResponse> Answer(const HttpRequest& request) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::deque<absl::StatusOr<HttpResponse>> queue_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<HttpResponse> default_ ABSL_GUARDED_BY(mu_) = HttpResponse{.status = 200};
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

// The first value of header `name` (case-insensitive) a request carries.
std::optional<std::string> RequestHeader(const HttpRequest& request, absl::string_view name);

}  // namespace werf::http::testing

#endif  // WERF_OPERATOR_LIBS_HTTP_TESTING_FAKE_HTTP_CLIENT_H_
