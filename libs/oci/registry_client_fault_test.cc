// RegistryClient against the fault-injecting registry (testing/fault_registry.h):
// the failures real registries cannot be made to produce on demand, plus the
// request accounting a benchmark relies on.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"
#include "libs/common/testing/status_testing.h"
#include "libs/oci/digest.h"
#include "libs/oci/errors.h"
#include "libs/oci/registry_client.h"
#include "libs/oci/testing/fault_registry.h"
#include "prometheus/registry.h"

namespace werf::oci {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::werf::common::testing::FakeClock;
using ::werf::oci::testing::FaultRegistry;
using ::werf::status_testing::Message;

std::vector<std::string> NumberedTags(int count) {
  std::vector<std::string> tags;
  tags.reserve(count);
  for (int i = 0; i < count; ++i) tags.push_back(absl::StrFormat("v%06d", i));
  return tags;
}

class RegistryClientFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(registry_, FaultRegistry::Start());
    registry_->SetTags("team/app", {"v1", "v2", "v3"});
  }

  std::unique_ptr<RegistryClient> NewClient(RegistryClientOptions options = {}) {
    options.clock = &clock_;
    options.metrics = &metrics_;
    return RegistryClient::Create(std::move(options)).value();
  }

  RepositoryRef Repo(absl::string_view path = "team/app") const {
    return RepositoryRef::Create(registry_->host(), path).value();
  }

  static RegistryAccess PlainHttp(std::optional<Credentials> credentials = std::nullopt) {
    return RegistryAccess{.credentials = std::move(credentials), .security = TransportSecurity::kPlainHttp};
  }

  // The value of a counter, or the sample count of a histogram, with these labels.
  double Metric(absl::string_view name, const std::map<std::string, std::string>& labels) {
    for (const prometheus::MetricFamily& family : metrics_.Collect()) {
      if (family.name != name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        std::map<std::string, std::string> found;
        for (const prometheus::ClientMetric::Label& label : metric.label) found[label.name] = label.value;
        if (found != labels) continue;
        return family.type == prometheus::MetricType::Histogram ? metric.histogram.sample_count
                                                                : metric.counter.value;
      }
    }
    return 0;
  }

  FakeClock clock_;
  prometheus::Registry metrics_;
  std::unique_ptr<FaultRegistry> registry_;
};

// --- tag lists: pagination, caps, conditional requests -------------------------------

TEST_F(RegistryClientFaultTest, ListsTagsInOneRequest) {
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo(), PlainHttp()));
  EXPECT_THAT(result.tags, ElementsAre("v1", "v2", "v3"));
  EXPECT_FALSE(result.not_modified);
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.pages, 1);
  EXPECT_EQ(result.stats.requests, 1);
  EXPECT_GT(result.stats.bytes_received, 0);
  const std::vector<FaultRegistry::RecordedRequest> requests = registry_->requests();
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].path, "/v2/team/app/tags/list");
  EXPECT_EQ(requests[0].headers.count("authorization"), 0u);
  EXPECT_EQ(Metric("werf_operator_registry_requests_total", {{"registry", registry_->host()}, {"code", "200"}}), 1);
  EXPECT_EQ(Metric("werf_operator_registry_request_duration_seconds", {{"registry", registry_->host()}}), 1);
}

TEST_F(RegistryClientFaultTest, PagesThroughFiftyThousandTagsWithRelativeLinks) {
  registry_->SetTags("team/big", NumberedTags(50000));
  registry_->SetBehaviour({.page_size = 1000});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo("team/big"), PlainHttp()));
  EXPECT_EQ(result.tags, NumberedTags(50000));
  EXPECT_EQ(result.pages, 50);
  EXPECT_EQ(result.stats.requests, 50);
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(registry_->requests()[1].params.find("last")->second, "v000999");
}

TEST_F(RegistryClientFaultTest, FollowsAbsoluteLinks) {
  registry_->SetTags("team/big", NumberedTags(250));
  registry_->SetBehaviour({.page_size = 100, .absolute_links = true});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo("team/big"), PlainHttp()));
  EXPECT_EQ(result.tags, NumberedTags(250));
  EXPECT_EQ(result.pages, 3);
}

TEST_F(RegistryClientFaultTest, UsesNAndLastWhenTheRegistrySendsNoLinks) {
  registry_->SetTags("team/big", NumberedTags(250));
  registry_->SetBehaviour({.send_links = false});
  auto client = NewClient({.page_size = 100});
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo("team/big"), PlainHttp()));
  EXPECT_EQ(result.tags, NumberedTags(250));
  EXPECT_EQ(result.pages, 3);
  const std::vector<FaultRegistry::RecordedRequest> requests = registry_->requests();
  ASSERT_THAT(requests, SizeIs(3));
  EXPECT_EQ(requests[0].params.find("n")->second, "100");
  EXPECT_EQ(requests[0].params.count("last"), 0u);
  EXPECT_EQ(requests[2].params.find("last")->second, "v000199");
}

TEST_F(RegistryClientFaultTest, CapsTheNumberOfTags) {
  registry_->SetTags("team/big", NumberedTags(250));
  registry_->SetBehaviour({.page_size = 100});
  auto client = NewClient({.max_tags = 120});
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo("team/big"), PlainHttp()));
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.tags, std::vector<std::string>(NumberedTags(120)));
  EXPECT_EQ(result.pages, 2);
  EXPECT_EQ(result.etag, "");
}

TEST_F(RegistryClientFaultTest, CapsTheBytesOfATagList) {
  registry_->SetTags("team/big", NumberedTags(1000));
  registry_->SetBehaviour({.page_size = 100});
  // Each page is about 1.3 kB: two fit, the third does not.
  auto client = NewClient({.max_tag_list_bytes = 3000});
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo("team/big"), PlainHttp()));
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.tags, std::vector<std::string>(NumberedTags(200)));

  auto tiny = NewClient({.max_tag_list_bytes = 100});
  absl::StatusOr<TagListResult> too_big = tiny->ListTags(Repo("team/big"), PlainHttp());
  EXPECT_EQ(ClassifyError(too_big.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(too_big.status()), HasSubstr("larger than 100 bytes"));
}

TEST_F(RegistryClientFaultTest, SkipsTagsThatBreakTheGrammar) {
  registry_->InjectFault({.status = 200, .body = R"({"name":"team/app","tags":["v1","../../etc","-rm","v2"]})"});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo(), PlainHttp()));
  EXPECT_THAT(result.tags, ElementsAre("v1", "v2"));
  EXPECT_EQ(result.invalid_tags, 2u);
}

TEST_F(RegistryClientFaultTest, NotModifiedTransfersNothingAndIsCounted) {
  registry_->SetBehaviour({.etags = true});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult first, client->ListTags(Repo(), PlainHttp()));
  ASSERT_FALSE(first.etag.empty());

  ASSERT_OK_AND_ASSIGN(TagListResult second, client->ListTags(Repo(), PlainHttp(), first.etag));
  EXPECT_TRUE(second.not_modified);
  EXPECT_TRUE(second.tags.empty());
  EXPECT_EQ(second.etag, first.etag);
  EXPECT_EQ(second.stats.requests, 1);
  EXPECT_LT(second.stats.bytes_received, first.stats.bytes_received);
  EXPECT_EQ(registry_->requests().back().headers.at("if-none-match"), first.etag);
  EXPECT_EQ(Metric("werf_operator_registry_not_modified_total", {{"registry", registry_->host()}}), 1);

  registry_->SetTags("team/app", {"v1", "v2", "v3", "v4"});
  ASSERT_OK_AND_ASSIGN(TagListResult changed, client->ListTags(Repo(), PlainHttp(), first.etag));
  EXPECT_FALSE(changed.not_modified);
  EXPECT_THAT(changed.tags, ElementsAre("v1", "v2", "v3", "v4"));
  EXPECT_NE(changed.etag, first.etag);
}

TEST_F(RegistryClientFaultTest, MultiPageListsAreNotConditional) {
  registry_->SetTags("team/big", NumberedTags(250));
  registry_->SetBehaviour({.page_size = 100, .etags = true});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo("team/big"), PlainHttp()));
  EXPECT_EQ(result.pages, 3);
  EXPECT_EQ(result.etag, "") << "the first page's ETag does not cover the others";
}

TEST_F(RegistryClientFaultTest, RefusesPaginationLinksToOtherHosts) {
  registry_->InjectFault({.status = 200,
                          .headers = {{"Link", R"(<http://attacker.example:1/v2/team/app/tags/list?last=v3>; rel="next")"}},
                          .body = R"({"name":"team/app","tags":["v1"]})"});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(result.status()), HasSubstr("leads to another host (http://attacker.example:1)"));
}

TEST_F(RegistryClientFaultTest, DetectsPaginationLoops) {
  const FaultRegistry::Fault looping{.status = 200,
                                     .headers = {{"Link", R"(</v2/team/app/tags/list?last=v1>; rel="next")"}},
                                     .body = R"({"name":"team/app","tags":["v1"]})"};
  registry_->InjectFault(looping, 2);
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(result.status()), HasSubstr("pagination links loop"));
}

// --- malformed, truncated, slow, failing -------------------------------------------

struct MalformedCase {
  std::string name;
  std::string body;
  std::string message;
};

class MalformedBodyTest : public RegistryClientFaultTest, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedBodyTest, IsInvalidResponseNamingWhatIsWrong) {
  registry_->InjectFault({.status = 200, .body = GetParam().body});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(result.status()), AllOf(HasSubstr("list tags of " + Repo().ToString()),
                                               HasSubstr(GetParam().message)));
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, MalformedBodyTest,
    ::testing::Values(MalformedCase{"CutJson", R"({"name":"team/app","tags":["v1",)", "not valid JSON at byte"},
                      MalformedCase{"Html", "<html>maintenance</html>", "not valid JSON"},
                      MalformedCase{"Array", R"(["v1"])", "not a JSON object"},
                      MalformedCase{"TagsIsString", R"({"tags":"v1"})", "\"tags\" is neither an array nor null"},
                      MalformedCase{"TagsIsObject", R"({"tags":{"v1":1}})", "\"tags\" is neither an array nor null"},
                      MalformedCase{"Deep", std::string(100, '[') + std::string(100, ']'), "not a JSON object"},
                      MalformedCase{"DeepInside", R"({"x":)" + std::string(100, '[') + std::string(100, ']') + "}",
                                    "nested deeper than 64"},
                      MalformedCase{"InvalidUtf8", "{\"tags\":[\"v\xff\"]}", "not valid JSON"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST_F(RegistryClientFaultTest, NullTagsIsAnEmptyRepository) {
  registry_->InjectFault({.status = 200, .body = R"({"name":"team/app","tags":null})"});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo(), PlainHttp()));
  EXPECT_TRUE(result.tags.empty());
}

TEST_F(RegistryClientFaultTest, TruncatedBodyIsDataLoss) {
  registry_->SetTags("team/big", NumberedTags(2000));
  registry_->InjectFault({.truncate = true});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo("team/big"), PlainHttp());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(result.status()), HasSubstr("truncated"));
}

TEST_F(RegistryClientFaultTest, SlowAnswerTimesOut) {
  registry_->InjectFault({.delay = absl::Seconds(1)});
  auto client = NewClient({.request_timeout = absl::Milliseconds(250)});
  const absl::Time start = absl::Now();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kUnavailable);
  EXPECT_THAT(Message(result.status()), HasSubstr("timed out"));
  EXPECT_EQ(Metric("werf_operator_registry_requests_total", {{"registry", registry_->host()}, {"code", "error"}}), 1);
}

TEST_F(RegistryClientFaultTest, ServerErrorBurstIsUnavailableUntilItEnds) {
  registry_->InjectFault({.status = 503, .body = R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})"}, 3);
  auto client = NewClient();
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
    const ErrorDetails details = GetErrorDetails(result.status());
    EXPECT_EQ(details.reason, ErrorReason::kUnavailable);
    EXPECT_EQ(details.http_status, 503);
    EXPECT_EQ(details.retry_after, std::nullopt);
    EXPECT_THAT(Message(result.status()), HasSubstr("HTTP 503, UNAVAILABLE: try later"));
  }
  EXPECT_OK(client->ListTags(Repo(), PlainHttp()).status());
  EXPECT_EQ(client->NotBefore(registry_->host()), std::nullopt) << "5xx without Retry-After is no rate limit";
}

TEST_F(RegistryClientFaultTest, TransientRetriesAbsorbAShortBurst) {
  registry_->InjectFault({.status = 502}, 1);
  registry_->InjectFault({.status = 504}, 1);
  auto client = NewClient({.transient_retries = 2, .transient_retry_delay = absl::Seconds(1)});
  const absl::Time before = clock_.Now();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo(), PlainHttp()));
  EXPECT_THAT(result.tags, SizeIs(3));
  EXPECT_EQ(result.stats.requests, 3);
  EXPECT_EQ(clock_.Now() - before, absl::Seconds(3)) << "1 s, then 2 s";
}

TEST_F(RegistryClientFaultTest, ConnectionRefusedIsUnavailable) {
  const RepositoryRef closed = RepositoryRef::Parse("127.0.0.1:1/team/app").value();
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(closed, PlainHttp());
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kUnavailable);
  EXPECT_EQ(GetErrorDetails(result.status()).http_status, 0);
  EXPECT_THAT(Message(result.status()), HasSubstr("list tags of 127.0.0.1:1/team/app"));
}

// --- rate limits ---------------------------------------------------------------------

struct RetryAfterCase {
  std::string name;
  std::vector<std::pair<std::string, std::string>> headers;
  absl::Duration wait;
};

class RateLimitTest : public RegistryClientFaultTest, public ::testing::WithParamInterface<RetryAfterCase> {};

TEST_P(RateLimitTest, WaitsInsteadOfHammering) {
  registry_->InjectFault({.status = 429,
                          .headers = GetParam().headers,
                          .body = R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})"});
  auto client = NewClient();
  const absl::Time until = clock_.Now() + GetParam().wait;

  absl::StatusOr<TagListResult> limited = client->ListTags(Repo(), PlainHttp());
  ASSERT_FALSE(limited.ok());
  const ErrorDetails details = GetErrorDetails(limited.status());
  EXPECT_EQ(details.reason, ErrorReason::kRateLimited);
  EXPECT_EQ(details.http_status, 429);
  EXPECT_EQ(details.retry_after, until);
  EXPECT_EQ(client->NotBefore(registry_->host()), until);

  // Until then nothing is sent, for any repository of that registry.
  absl::StatusOr<TagListResult> waiting = client->ListTags(Repo("team/other"), PlainHttp());
  EXPECT_EQ(ClassifyError(waiting.status()), ErrorReason::kRateLimited);
  EXPECT_EQ(GetErrorDetails(waiting.status()).retry_after, until);
  absl::StatusOr<DigestResult> digest = client->GetDigest(Repo(), PlainHttp(), "v1");
  EXPECT_EQ(ClassifyError(digest.status()), ErrorReason::kRateLimited);
  EXPECT_EQ(registry_->CountRequests(), 1);
  EXPECT_EQ(Metric("werf_operator_registry_rate_limit_waits_total", {{"registry", registry_->host()}}), 2);

  clock_.Advance(GetParam().wait);
  EXPECT_OK(client->ListTags(Repo(), PlainHttp()).status());
}

INSTANTIATE_TEST_SUITE_P(
    RetryAfter, RateLimitTest,
    ::testing::Values(RetryAfterCase{"Seconds", {{"Retry-After", "30"}}, absl::Seconds(30)},
                      // FakeClock starts at 2023-11-14T22:13:20Z.
                      RetryAfterCase{"HttpDate", {{"Retry-After", "Tue, 14 Nov 2023 22:15:20 GMT"}}, absl::Minutes(2)},
                      RetryAfterCase{"Missing", {}, absl::Seconds(60)},
                      RetryAfterCase{"Unparseable", {{"Retry-After", "soon"}}, absl::Seconds(60)},
                      RetryAfterCase{"CappedAtSixHours", {{"Retry-After", "864000"}}, absl::Hours(6)}),
    [](const ::testing::TestParamInfo<RetryAfterCase>& info) { return info.param.name; });

TEST_F(RegistryClientFaultTest, ServiceUnavailableWithRetryAfterIsHonoured) {
  registry_->InjectFault({.status = 503, .headers = {{"Retry-After", "10"}}});
  auto client = NewClient({.transient_retries = 3});
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  const ErrorDetails details = GetErrorDetails(result.status());
  EXPECT_EQ(details.reason, ErrorReason::kUnavailable);
  EXPECT_EQ(details.retry_after, clock_.Now() + absl::Seconds(10));
  EXPECT_EQ(registry_->CountRequests(), 1) << "no quick retries against an explicit wait";
  EXPECT_EQ(ClassifyError(client->ListTags(Repo(), PlainHttp()).status()), ErrorReason::kRateLimited);
}

TEST_F(RegistryClientFaultTest, ExposesRateLimitRemaining) {
  registry_->SetBehaviour({.extra_headers = {{"ratelimit-limit", "100;w=21600"}, {"ratelimit-remaining", "76;w=21600"}}});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo(), PlainHttp()));
  ASSERT_TRUE(result.rate_limit.has_value());
  EXPECT_EQ(result.rate_limit->remaining, 76);
  EXPECT_EQ(result.rate_limit->limit, 100);
  EXPECT_EQ(result.rate_limit->window, absl::Hours(6));
  registry_->SetManifest("team/app", "v1", R"({"schemaVersion":2})");
  ASSERT_OK_AND_ASSIGN(DigestResult digest, client->GetDigest(Repo(), PlainHttp(), "v1"));
  ASSERT_TRUE(digest.rate_limit.has_value());
  EXPECT_EQ(digest.rate_limit->remaining, 76);
}

TEST_F(RegistryClientFaultTest, AnExhaustedBudgetPausesTheRegistryBeforeA429) {
  registry_->SetBehaviour({.extra_headers = {{"ratelimit-limit", "100;w=600"}, {"ratelimit-remaining", "0;w=600"}}});
  auto client = NewClient();
  std::vector<RegistryPause> pauses;
  client->SetPauseListener([&](const RegistryPause& pause) { pauses.push_back(pause); });

  // The call that spent the budget still succeeds; the next ones are not sent.
  EXPECT_OK(client->ListTags(Repo(), PlainHttp()).status());
  EXPECT_EQ(client->NotBefore(registry_->host()), clock_.Now() + absl::Minutes(10)) << "the window";
  EXPECT_EQ(ClassifyError(client->ListTags(Repo("team/other"), PlainHttp()).status()), ErrorReason::kRateLimited);
  EXPECT_EQ(registry_->CountRequests(), 1);
  ASSERT_THAT(pauses, SizeIs(1));
  EXPECT_EQ(pauses[0].registry, registry_->host());
  EXPECT_EQ(pauses[0].until, clock_.Now() + absl::Minutes(10));
  EXPECT_EQ(pauses[0].reason, "RateLimit-Remaining: 0");
}

TEST_F(RegistryClientFaultTest, APauseIsReportedOnceAndOnlyWhenItGrows) {
  auto client = NewClient();
  std::vector<RegistryPause> pauses;
  client->SetPauseListener([&](const RegistryPause& pause) { pauses.push_back(pause); });
  registry_->InjectFault({.status = 429, .headers = {{"Retry-After", "120"}}});
  EXPECT_FALSE(client->ListTags(Repo(), PlainHttp()).ok());
  ASSERT_THAT(pauses, SizeIs(1));
  EXPECT_EQ(pauses[0].until, clock_.Now() + absl::Minutes(2));
  EXPECT_EQ(pauses[0].reason, "HTTP 429, Retry-After: 120");

  // Calls refused locally during the pause are no news.
  EXPECT_FALSE(client->ListTags(Repo(), PlainHttp()).ok());
  EXPECT_THAT(pauses, SizeIs(1));
  EXPECT_EQ(registry_->CountRequests(), 1);
}

TEST_F(RegistryClientFaultTest, APauseLearntElsewhereIsHonouredSilently) {
  auto client = NewClient();
  int reported = 0;
  client->SetPauseListener([&](const RegistryPause&) { ++reported; });
  client->Pause(registry_->host(), clock_.Now() + absl::Seconds(90));
  absl::StatusOr<TagListResult> paused = client->ListTags(Repo(), PlainHttp());
  EXPECT_EQ(ClassifyError(paused.status()), ErrorReason::kRateLimited);
  EXPECT_EQ(GetErrorDetails(paused.status()).http_status, 0);
  EXPECT_EQ(registry_->CountRequests(), 0);
  EXPECT_EQ(reported, 0) << "news from the hub is not sent back to it";
  // An absurd pause from elsewhere is cut like an absurd Retry-After.
  client->Pause(registry_->host(), clock_.Now() + absl::Hours(1000));
  EXPECT_EQ(client->NotBefore(registry_->host()), clock_.Now() + absl::Hours(6));
  clock_.Advance(absl::Hours(6));
  EXPECT_OK(client->ListTags(Repo(), PlainHttp()).status());
}

// --- authentication ------------------------------------------------------------------

TEST_F(RegistryClientFaultTest, AnonymousBearerTokenIsFetchedOnceAndReused) {
  registry_->RequireBearer({.expires_in = 300});
  registry_->SetTags("team/other", {"x"});
  auto client = NewClient();

  ASSERT_OK_AND_ASSIGN(TagListResult first, client->ListTags(Repo(), PlainHttp()));
  EXPECT_THAT(first.tags, SizeIs(3));
  EXPECT_EQ(first.stats.requests, 3) << "401, token, retry";
  const std::vector<FaultRegistry::RecordedRequest> requests = registry_->requests();
  ASSERT_THAT(requests, SizeIs(3));
  EXPECT_EQ(requests[1].path, "/token");
  EXPECT_EQ(requests[1].params.find("service")->second, "fault-registry");
  EXPECT_EQ(requests[1].params.find("scope")->second, "repository:team/app:pull");
  EXPECT_EQ(requests[1].headers.count("authorization"), 0u) << "anonymous";
  EXPECT_EQ(requests[2].headers.at("authorization"), "Bearer token-1");

  ASSERT_OK_AND_ASSIGN(TagListResult cached, client->ListTags(Repo(), PlainHttp()));
  EXPECT_EQ(cached.stats.requests, 1) << "token from the cache";

  // The registry's challenge is known now: a new repository costs a token and the request, no 401.
  ASSERT_OK_AND_ASSIGN(TagListResult other, client->ListTags(Repo("team/other"), PlainHttp()));
  EXPECT_EQ(other.stats.requests, 2);
  EXPECT_EQ(registry_->requests().back().headers.at("authorization"), "Bearer token-2");
}

TEST_F(RegistryClientFaultTest, BearerTokenIsRefreshedBeforeItExpires) {
  registry_->RequireBearer({.expires_in = 60});
  auto client = NewClient();
  ASSERT_OK(client->ListTags(Repo(), PlainHttp()).status());
  clock_.Advance(absl::Seconds(50));
  ASSERT_OK_AND_ASSIGN(TagListResult fresh, client->ListTags(Repo(), PlainHttp()));
  EXPECT_EQ(fresh.stats.requests, 1);
  clock_.Advance(absl::Seconds(5));  // 55 s: within the 6 s refresh margin
  ASSERT_OK_AND_ASSIGN(TagListResult refreshed, client->ListTags(Repo(), PlainHttp()));
  EXPECT_EQ(refreshed.stats.requests, 2) << "new token, then the request";
  EXPECT_EQ(registry_->CountRequests("GET", "/token"), 2);
}

TEST_F(RegistryClientFaultTest, DefaultTokenLifetimeIsSixtySeconds) {
  registry_->RequireBearer({.expires_in = 0});
  auto client = NewClient();
  ASSERT_OK(client->ListTags(Repo(), PlainHttp()).status());
  clock_.Advance(absl::Seconds(53));
  EXPECT_EQ(client->ListTags(Repo(), PlainHttp())->stats.requests, 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(client->ListTags(Repo(), PlainHttp())->stats.requests, 2);
}

TEST_F(RegistryClientFaultTest, TokenRejectedByTheRegistryIsReplacedOnce) {
  registry_->RequireBearer({.expires_in = 300});
  auto client = NewClient();
  ASSERT_OK(client->ListTags(Repo(), PlainHttp()).status());
  registry_->RevokeTokens();  // expired server-side before the client expected
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo(), PlainHttp()));
  EXPECT_EQ(result.stats.requests, 3) << "stale token refused, new token, retry";
  EXPECT_EQ(registry_->requests().back().headers.at("authorization"), "Bearer token-2");
}

TEST_F(RegistryClientFaultTest, BearerWithPasswordSendsBasicToTheTokenService) {
  registry_->RequireBearer({.username = "werf", .password = "s3cret", .access_token_field = true});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(TagListResult result,
                       client->ListTags(Repo(), PlainHttp(Credentials{.username = "werf", .password = "s3cret"})));
  EXPECT_THAT(result.tags, SizeIs(3));
  EXPECT_EQ(registry_->requests()[1].headers.at("authorization"), "Basic d2VyZjpzM2NyZXQ=");
}

TEST_F(RegistryClientFaultTest, WrongPasswordSaysWhichSecretToCheckWithoutLeakingIt) {
  registry_->RequireBearer({.username = "werf", .password = "right"});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result =
      client->ListTags(Repo(), PlainHttp(Credentials{.username = "werf", .password = "wr0ng-s3cret"}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(result.status()),
              AllOf(HasSubstr("check the bundle's registry.secretRef credentials for " + registry_->host()),
                    Not(HasSubstr("wr0ng-s3cret")), Not(HasSubstr("d2VyZjp3cjBuZy1zM2NyZXQ"))));
}

TEST_F(RegistryClientFaultTest, AnonymousAccessToAPrivateRegistryAsksForASecret) {
  registry_->RequireBearer({.username = "werf", .password = "right"});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(result.status()), HasSubstr("registry.secretRef"));
}

TEST_F(RegistryClientFaultTest, IdentityTokenUsesTheOAuth2RefreshGrant) {
  registry_->RequireBearer({.refresh_token = "refresh-s3cret"});
  auto client = NewClient();
  const Credentials credentials{.username = "<token>", .identity_token = "refresh-s3cret"};
  ASSERT_OK_AND_ASSIGN(TagListResult result, client->ListTags(Repo(), PlainHttp(credentials)));
  EXPECT_THAT(result.tags, SizeIs(3));
  const FaultRegistry::RecordedRequest token_request = registry_->requests()[1];
  EXPECT_EQ(token_request.method, "POST");
  EXPECT_EQ(token_request.headers.at("content-type"), "application/x-www-form-urlencoded");
  EXPECT_THAT(token_request.body, AllOf(HasSubstr("grant_type=refresh_token"), HasSubstr("client_id=werf-operator"),
                                        HasSubstr("scope=repository%3Ateam%2Fapp%3Apull"),
                                        HasSubstr("service=fault-registry")));

  absl::StatusOr<TagListResult> wrong =
      client->ListTags(Repo(), PlainHttp(Credentials{.identity_token = "stale"}));
  EXPECT_EQ(ClassifyError(wrong.status()), ErrorReason::kUnauthorized);
}

TEST_F(RegistryClientFaultTest, RegistryTokenIsSentAsIs) {
  auto client = NewClient();
  ASSERT_OK(client->ListTags(Repo(), PlainHttp(Credentials{.registry_token = "opaque"})).status());
  EXPECT_EQ(registry_->requests()[0].headers.at("authorization"), "Bearer opaque");
}

TEST_F(RegistryClientFaultTest, BasicAuthIsSentUpFrontOnceKnown) {
  registry_->RequireBasic("werf", "s3cret");
  auto client = NewClient();
  const RegistryAccess access = PlainHttp(Credentials{.username = "werf", .password = "s3cret"});
  ASSERT_OK_AND_ASSIGN(TagListResult first, client->ListTags(Repo(), access));
  EXPECT_EQ(first.stats.requests, 2) << "401, then with Basic";
  ASSERT_OK_AND_ASSIGN(TagListResult second, client->ListTags(Repo(), access));
  EXPECT_EQ(second.stats.requests, 1);

  absl::StatusOr<TagListResult> anonymous = client->ListTags(Repo(), PlainHttp());
  EXPECT_EQ(ClassifyError(anonymous.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(anonymous.status()), HasSubstr("requires a username and password"));

  absl::StatusOr<TagListResult> wrong =
      client->ListTags(Repo(), PlainHttp(Credentials{.username = "werf", .password = "nope"}));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(Message(wrong.status()), HasSubstr("check the bundle's registry.secretRef credentials"));
}

TEST_F(RegistryClientFaultTest, UnusableChallengesAreInvalidResponses) {
  registry_->InjectFault({.status = 401, .headers = {{"WWW-Authenticate", R"(Bearer realm="unterminated)"}}});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(result.status()), HasSubstr("malformed WWW-Authenticate"));

  registry_->InjectFault({.status = 401, .headers = {{"WWW-Authenticate", R"(Negotiate abc==)"}}});
  result = client->ListTags(Repo(), PlainHttp());
  EXPECT_THAT(Message(result.status()), HasSubstr("unsupported scheme negotiate"));
}

TEST_F(RegistryClientFaultTest, UnauthorizedWithoutChallengeIsUnauthorized) {
  registry_->InjectFault({.status = 401});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result =
      client->ListTags(Repo(), PlainHttp(Credentials{.username = "u", .password = "p"}));
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(result.status()), HasSubstr("check the bundle's registry.secretRef credentials"));
  EXPECT_EQ(registry_->CountRequests(), 1);
}

TEST_F(RegistryClientFaultTest, InsufficientScopeSaysTheRepositoryMayNotExist) {
  registry_->RequireBearer({});
  const FaultRegistry::Fault insufficient{
      .status = 401,
      .headers = {{"WWW-Authenticate",
                   absl::StrCat(R"(Bearer realm=")", registry_->base_url(),
                                R"(/token",service="fault-registry",scope="repository:team/app:pull",error="insufficient_scope")")}}};
  registry_->InjectFault(insufficient, 2);
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), PlainHttp());
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kUnauthorized);
  EXPECT_THAT(Message(result.status()),
              HasSubstr("no pull access to team/app (HTTP 401, insufficient_scope)"));
  EXPECT_THAT(Message(result.status()), HasSubstr("the repository does not exist, or it is private"));
}

TEST_F(RegistryClientFaultTest, NoCredentialsToPlainHttpRealmOfATlsRegistry) {
  // The fault registry speaks plain HTTP only, so this drives the auth step
  // directly: a registry reached over HTTPS whose challenge names an http:// realm.
  RegistryAuth auth(clock_, {});
  const RepositoryRef repository = Repo();
  const RegistryAccess access{.credentials = Credentials{.username = "u", .password = "p"}};
  const AuthTarget target{.repository = &repository, .access = &access, .plain_http_allowed = false};
  int sent = 0;
  absl::StatusOr<std::string> header =
      auth.OnChallenge(target, R"(Bearer realm="http://127.0.0.1:1/token",service="s")",
                       [&sent](const http::HttpRequest&) -> absl::StatusOr<http::HttpResponse> {
                         ++sent;
                         return http::HttpResponse{};
                       });
  EXPECT_EQ(sent, 0);
  EXPECT_EQ(ClassifyError(header.status()), ErrorReason::kCredentials);
  EXPECT_THAT(Message(header.status()), HasSubstr("refusing to send the credentials"));
}

struct StatusCase {
  std::string name;
  int http_status = 0;
  absl::StatusCode code = absl::StatusCode::kOk;
  ErrorReason reason = ErrorReason::kUnknown;
  std::string message{};
};

class StatusMappingTest : public RegistryClientFaultTest, public ::testing::WithParamInterface<StatusCase> {};

TEST_P(StatusMappingTest, MapsHttpStatus) {
  registry_->InjectFault({.status = GetParam().http_status});
  auto client = NewClient();
  absl::StatusOr<TagListResult> result =
      client->ListTags(Repo(), PlainHttp(Credentials{.username = "u", .password = "p"}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), GetParam().code);
  EXPECT_EQ(ClassifyError(result.status()), GetParam().reason);
  EXPECT_EQ(GetErrorDetails(result.status()).http_status, GetParam().http_status);
  EXPECT_THAT(Message(result.status()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, StatusMappingTest,
    ::testing::Values(
        StatusCase{"Forbidden", 403, absl::StatusCode::kPermissionDenied, ErrorReason::kUnauthorized,
                   "access denied (HTTP 403): check the bundle's registry.secretRef credentials for 127.0.0.1:"},
        StatusCase{"NotFound", 404, absl::StatusCode::kNotFound, ErrorReason::kNotFound,
                   "repository team/app not found on 127.0.0.1:"},
        StatusCase{"RequestTimeout", 408, absl::StatusCode::kUnavailable, ErrorReason::kUnavailable, "timed out"},
        StatusCase{"BadRequest", 400, absl::StatusCode::kFailedPrecondition, ErrorReason::kInvalidResponse,
                   "unexpected answer"},
        StatusCase{"InternalError", 500, absl::StatusCode::kUnavailable, ErrorReason::kUnavailable,
                   "is unavailable (HTTP 500)"},
        StatusCase{"BadGateway", 502, absl::StatusCode::kUnavailable, ErrorReason::kUnavailable,
                   "is unavailable (HTTP 502)"}),
    [](const ::testing::TestParamInfo<StatusCase>& info) { return info.param.name; });

TEST_F(RegistryClientFaultTest, ConcurrentCallsShareOneClient) {
  registry_->RequireBearer({.expires_in = 300});
  for (int i = 0; i < 8; ++i) registry_->SetTags(absl::StrCat("team/app", i), {"a", "b"});
  auto client = NewClient();
  std::atomic<int> ok = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 5; ++round) {
        if (client->ListTags(Repo(absl::StrCat("team/app", i)), PlainHttp()).ok()) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok, 40);
}

// --- digests -------------------------------------------------------------------------

constexpr char kManifest[] = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";

TEST_F(RegistryClientFaultTest, DigestComesFromHeadWithEveryManifestType) {
  registry_->SetManifest("team/app", "v1", kManifest);
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(DigestResult result, client->GetDigest(Repo(), PlainHttp(), "v1"));
  EXPECT_EQ(result.digest, Sha256Digest(kManifest));
  EXPECT_EQ(result.media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_FALSE(result.computed_from_body);
  EXPECT_EQ(result.stats.requests, 1);
  const FaultRegistry::RecordedRequest head = registry_->requests().back();
  EXPECT_EQ(head.method, "HEAD");
  EXPECT_EQ(head.path, "/v2/team/app/manifests/v1");
  EXPECT_THAT(head.headers.at("accept"),
              AllOf(HasSubstr("application/vnd.oci.image.index.v1+json"),
                    HasSubstr("application/vnd.oci.image.manifest.v1+json"),
                    HasSubstr("application/vnd.docker.distribution.manifest.list.v2+json"),
                    HasSubstr("application/vnd.docker.distribution.manifest.v2+json")));
}

TEST_F(RegistryClientFaultTest, DigestIsComputedOnlyWhenTheHeaderIsMissing) {
  registry_->SetManifest("team/app", "v1", kManifest);
  registry_->SetBehaviour({.digest_header = false});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(DigestResult result, client->GetDigest(Repo(), PlainHttp(), "v1"));
  EXPECT_EQ(result.digest, Sha256Digest(kManifest));
  EXPECT_TRUE(result.computed_from_body);
  EXPECT_EQ(result.stats.requests, 2);
  EXPECT_EQ(registry_->CountRequests("HEAD"), 1);
  EXPECT_EQ(registry_->CountRequests("GET"), 1);
}

TEST_F(RegistryClientFaultTest, DigestFallsBackToGetWhenHeadIsUnsupported) {
  registry_->SetManifest("team/app", "v1", kManifest);
  registry_->SetBehaviour({.head_supported = false});
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(DigestResult result, client->GetDigest(Repo(), PlainHttp(), "v1"));
  EXPECT_EQ(result.digest, Sha256Digest(kManifest));
  EXPECT_FALSE(result.computed_from_body) << "the GET carried the header";
}

TEST_F(RegistryClientFaultTest, MalformedDigestHeaderIsInvalid) {
  registry_->InjectFault({.status = 200, .headers = {{"Docker-Content-Digest", "sha256:nothex"}}});
  auto client = NewClient();
  absl::StatusOr<DigestResult> result = client->GetDigest(Repo(), PlainHttp(), "v1");
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(result.status()), HasSubstr("Docker-Content-Digest"));
}

TEST_F(RegistryClientFaultTest, OversizedManifestIsRefused) {
  registry_->SetManifest("team/app", "v1", std::string(5000, ' ') + kManifest);
  registry_->SetBehaviour({.digest_header = false});
  auto client = NewClient({.max_manifest_bytes = 4096});
  absl::StatusOr<DigestResult> result = client->GetDigest(Repo(), PlainHttp(), "v1");
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kInvalidResponse);
  EXPECT_THAT(Message(result.status()), HasSubstr("larger than 4096 bytes"));
}

TEST_F(RegistryClientFaultTest, MissingTagAndRepositoryAreNotFound) {
  registry_->SetManifest("team/app", "v1", kManifest);
  auto client = NewClient();
  absl::StatusOr<DigestResult> missing_tag = client->GetDigest(Repo(), PlainHttp(), "v9");
  EXPECT_EQ(missing_tag.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(missing_tag.status()), HasSubstr("tag v9 not found in repository team/app on " + registry_->host()));

  absl::StatusOr<TagListResult> missing_repository = client->ListTags(Repo("team/missing"), PlainHttp());
  EXPECT_EQ(missing_repository.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ClassifyError(missing_repository.status()), ErrorReason::kNotFound);
  EXPECT_EQ(GetErrorDetails(missing_repository.status()).http_status, 404);
  EXPECT_THAT(Message(missing_repository.status()),
              HasSubstr("repository team/missing not found on " + registry_->host() + " (HTTP 404, NAME_UNKNOWN"));
}

TEST_F(RegistryClientFaultTest, InvalidTagIsRejectedBeforeAnyRequest) {
  auto client = NewClient();
  absl::StatusOr<DigestResult> result = client->GetDigest(Repo(), PlainHttp(), "../../v2/_catalog");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->CountRequests(), 0);
}

// --- transport security ----------------------------------------------------------------

TEST_F(RegistryClientFaultTest, TlsAgainstAPlainHttpRegistryFailsWithAdvice) {
  auto client = NewClient();
  absl::StatusOr<TagListResult> result = client->ListTags(Repo(), RegistryAccess{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kTls);
  EXPECT_THAT(Message(result.status()),
              HasSubstr("TLS verification of " + registry_->host() +
                        " failed: set registry.caSecretRef to the CA that signs it (or registry.insecure)"));
}

TEST_F(RegistryClientFaultTest, InsecureFallsBackToPlainHttpAndRemembers) {
  auto client = NewClient();
  const RegistryAccess insecure{.security = TransportSecurity::kInsecure};
  ASSERT_OK_AND_ASSIGN(TagListResult first, client->ListTags(Repo(), insecure));
  EXPECT_THAT(first.tags, SizeIs(3));
  EXPECT_EQ(first.stats.requests, 2) << "HTTPS attempt, then HTTP";
  ASSERT_OK_AND_ASSIGN(TagListResult second, client->ListTags(Repo(), insecure));
  EXPECT_EQ(second.stats.requests, 1);
}

TEST_F(RegistryClientFaultTest, MalformedCaBundleIsACredentialsProblem) {
  auto client = NewClient();
  absl::StatusOr<TagListResult> result =
      client->ListTags(Repo(), RegistryAccess{.ca_pem = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"});
  EXPECT_EQ(ClassifyError(result.status()), ErrorReason::kCredentials);
  EXPECT_THAT(Message(result.status()), HasSubstr("registry.caSecretRef for " + registry_->host()));
  EXPECT_EQ(ClassifyError(client->ListTags(Repo(), RegistryAccess{.ca_pem = "not pem"}).status()),
            ErrorReason::kCredentials);
  EXPECT_EQ(registry_->CountRequests(), 0);
}

}  // namespace
}  // namespace werf::oci
