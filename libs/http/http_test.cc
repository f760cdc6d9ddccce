// What libs/http decides without a network: header parsing, method and timeout
// mapping, libcurl result classification, transport-error payloads, and the
// fake client's script, recording, caps and streaming. The libcurl exchange
// itself is exercised by its users' tests against real servers
// (oci_fault_registry_test, the kube integration tests).
#include <curl/curl.h>

#include <atomic>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/http/curl_options.h"
#include "libs/http/http_headers.h"
#include "libs/http/testing/fake_http_client.h"
#include "libs/http/transport_error.h"

namespace werf::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using Mode = internal::MethodPlan::Mode;

TEST(HttpHeadersTest, CaseInsensitiveRepeatsKeptInOrder) {
  HttpHeaders headers;
  headers.Add("Link", "<a>; rel=\"next\"");
  headers.Add("link", "<b>");
  headers.Add("ETag", "\"x\"");
  EXPECT_EQ(headers.Get("LINK"), "<a>; rel=\"next\"");
  EXPECT_EQ(headers.GetJoined("Link"), "<a>; rel=\"next\", <b>");
  EXPECT_EQ(headers.Get("etag"), "\"x\"");
  EXPECT_EQ(headers.Get("missing"), std::nullopt);
  EXPECT_EQ(headers.GetJoined("missing"), "");
}

TEST(HttpHeadersTest, HeaderLines) {
  HttpHeaders headers;
  for (const char* line : {"HTTP/1.1 301 Moved\r\n", "Location: /elsewhere\r\n", "HTTP/2 200\r\n",
                           "Content-Type:  application/json \r\n", "no colon here\r\n", ": nameless\r\n",
                           "Retry-After:120\r\n", "X-Empty:\r\n", "\r\n"}) {
    AddHeaderLine(line, headers);
  }
  // The redirect's headers are gone: only the final response's remain.
  EXPECT_THAT(headers.all(), ElementsAre(Pair("content-type", "application/json"), Pair("retry-after", "120"),
                                         Pair("x-empty", "")));
}

TEST(PlanMethodTest, Table) {
  const struct {
    const char* method;
    bool has_body;
    Mode mode;
    bool send_body;
  } kCases[] = {
      {"GET", false, Mode::kGet, false},     {"GET", true, Mode::kCustom, true},
      {"HEAD", false, Mode::kHead, false},   {"HEAD", true, Mode::kHead, false},
      {"POST", false, Mode::kPost, true},    {"POST", true, Mode::kPost, true},
      {"PUT", false, Mode::kCustom, true},   {"PATCH", false, Mode::kCustom, true},
      {"DELETE", false, Mode::kCustom, false}, {"DELETE", true, Mode::kCustom, true},
  };
  for (const auto& c : kCases) {
    const internal::MethodPlan plan = internal::PlanMethod(c.method, c.has_body);
    EXPECT_EQ(plan.mode, c.mode) << c.method << " body=" << c.has_body;
    EXPECT_EQ(plan.send_body, c.send_body) << c.method << " body=" << c.has_body;
  }
}

TEST(CurlMillisecondsTest, ClampsAndZeroIsNoLimit) {
  EXPECT_EQ(internal::CurlMilliseconds(absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(internal::CurlMilliseconds(absl::Seconds(-1)), std::nullopt);
  EXPECT_EQ(internal::CurlMilliseconds(absl::Microseconds(10)), 1);
  EXPECT_EQ(internal::CurlMilliseconds(absl::Seconds(30)), 30000);
  EXPECT_EQ(internal::CurlMilliseconds(absl::InfiniteDuration()), 1L << 30);
}

TEST(FailureOfCurlCodeTest, Table) {
  const struct {
    CURLcode code;
    TransportFailure failure;
  } kCases[] = {
      {CURLE_COULDNT_CONNECT, TransportFailure::kConnect},
      {CURLE_COULDNT_RESOLVE_HOST, TransportFailure::kConnect},
      {CURLE_RECV_ERROR, TransportFailure::kConnect},
      {CURLE_OPERATION_TIMEDOUT, TransportFailure::kTimeout},
      {CURLE_PEER_FAILED_VERIFICATION, TransportFailure::kTls},
      {CURLE_SSL_CONNECT_ERROR, TransportFailure::kTls},
      {CURLE_PARTIAL_FILE, TransportFailure::kTruncated},
      {CURLE_WEIRD_SERVER_REPLY, TransportFailure::kInvalidResponse},
      {CURLE_TOO_MANY_REDIRECTS, TransportFailure::kInvalidResponse},
      {CURLE_URL_MALFORMAT, TransportFailure::kBadUrl},
      {CURLE_ABORTED_BY_CALLBACK, TransportFailure::kCancelled},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(internal::FailureOfCurlCode(c.code), c.failure) << curl_easy_strerror(c.code);
  }
}

TEST(TransportErrorTest, CodesMessagesAndPayloadRoundTrip) {
  const struct {
    TransportFailure failure;
    absl::StatusCode code;
    const char* message;
  } kCases[] = {
      {TransportFailure::kConnect, absl::StatusCode::kUnavailable, "GET https://h/p: boom"},
      {TransportFailure::kTls, absl::StatusCode::kUnavailable, "GET https://h/p: boom"},
      {TransportFailure::kTimeout, absl::StatusCode::kDeadlineExceeded, "GET https://h/p: boom"},
      {TransportFailure::kCancelled, absl::StatusCode::kCancelled, "GET https://h/p: boom (cancelled)"},
  };
  for (const auto& c : kCases) {
    const absl::Status status =
        MakeTransportError("GET", "https://h/p", {.failure = c.failure, .detail = "boom", .http_status = 7});
    EXPECT_EQ(status.code(), c.code) << TransportFailureName(c.failure);
    EXPECT_EQ(status.message(), c.message);
    const std::optional<TransportError> error = GetTransportError(status);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->failure, c.failure);
    EXPECT_EQ(error->detail, "boom");
    EXPECT_EQ(error->http_status, 7);
  }
  EXPECT_EQ(GetTransportError(absl::UnavailableError("x")), std::nullopt);
  // A detail with spaces survives.
  EXPECT_EQ(GetTransportError(MakeTransportError("GET", "u", {.detail = "a b  c"}))->detail, "a b  c");
}

TEST(FakeHttpClientTest, ScriptThenHandlerThenDefaultAndRecords) {
  testing::FakeHttpClient client;
  client.Enqueue(HttpResponse{.status = 503});
  client.Enqueue(absl::UnavailableError("down"));
  EXPECT_EQ(client.Send({.url = "u1"})->status, 503);
  EXPECT_EQ(client.Send({.url = "u2"}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client.Send({.url = "u3"})->status, 200);
  client.SetHandler([](const HttpRequest& request) { return HttpResponse{.status = 201, .body = request.url}; });
  absl::StatusOr<HttpResponse> handled = client.Send({.method = "POST", .url = "u4", .headers = {{"X-A", "1"}}});
  EXPECT_EQ(handled->status, 201);
  EXPECT_EQ(handled->body, "u4");
  EXPECT_EQ(handled->effective_url, "u4");
  ASSERT_EQ(client.request_count(), 4u);
  EXPECT_EQ(client.requests()[0].url, "u1");
  EXPECT_EQ(client.last_request().method, "POST");
  EXPECT_EQ(testing::RequestHeader(client.last_request(), "x-a"), "1");
  EXPECT_EQ(testing::RequestHeader(client.last_request(), "x-b"), std::nullopt);
}

TEST(FakeHttpClientTest, BodyCap) {
  testing::FakeHttpClient client;
  client.SetDefault(HttpResponse{.status = 200, .body = "0123456789"});
  absl::StatusOr<HttpResponse> capped = client.Send({.max_body_bytes = 4});
  EXPECT_EQ(capped->body, "0123");
  EXPECT_TRUE(capped->body_over_limit);
  absl::StatusOr<HttpResponse> uncapped = client.Send({.max_body_bytes = std::nullopt});
  EXPECT_EQ(uncapped->body, "0123456789");
  EXPECT_FALSE(uncapped->body_over_limit);
}

TEST(FakeHttpClientTest, StreamsLinesOfSuccessOnly) {
  testing::FakeHttpClient client;
  client.Enqueue(HttpResponse{.status = 200, .body = "{\"a\":1}\n{\"b\":2}\npartial"});
  client.Enqueue(HttpResponse{.status = 410, .body = "{\"kind\":\"Status\"}"});
  std::vector<std::string> chunks;
  HttpRequest watch{.url = "w", .timeout = absl::ZeroDuration(), .max_body_bytes = std::nullopt};
  watch.on_body_chunk = [&chunks](absl::string_view chunk) {
    chunks.emplace_back(chunk);
    return true;
  };
  absl::StatusOr<HttpResponse> streamed = client.Send(watch);
  ASSERT_TRUE(streamed.ok());
  EXPECT_EQ(streamed->body, "");
  EXPECT_THAT(chunks, ElementsAre("{\"a\":1}\n", "{\"b\":2}\n", "partial"));
  absl::StatusOr<HttpResponse> refused = client.Send(watch);
  EXPECT_EQ(refused->status, 410);
  EXPECT_EQ(refused->body, "{\"kind\":\"Status\"}");
  EXPECT_EQ(chunks.size(), 3u);
}

TEST(FakeHttpClientTest, CancellationByFlagOrCallback) {
  testing::FakeHttpClient client;
  client.SetDefault(HttpResponse{.status = 200, .body = "1\n2\n3\n"});
  int seen = 0;
  HttpRequest stop_after_one;
  stop_after_one.on_body_chunk = [&seen](absl::string_view) { return ++seen < 1; };
  absl::StatusOr<HttpResponse> stopped = client.Send(stop_after_one);
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(GetTransportError(stopped.status())->failure, TransportFailure::kCancelled);
  EXPECT_EQ(seen, 1);

  const std::atomic<bool> cancel{true};
  EXPECT_EQ(client.Send({.cancel = &cancel}).status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace werf::http
