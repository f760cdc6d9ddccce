#include "libs/common/status_context.h"

#include <map>
#include <string>

#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace werf::common {
namespace {

using Payloads = std::map<std::string, std::string>;

absl::Status Make(absl::StatusCode code, absl::string_view message, const Payloads& payloads) {
  absl::Status status(code, message);
  for (const auto& [url, payload] : payloads) status.SetPayload(url, absl::Cord(payload));
  return status;
}

Payloads PayloadsOf(const absl::Status& status) {
  Payloads payloads;
  status.ForEachPayload([&payloads](absl::string_view url, const absl::Cord& payload) {
    payloads.emplace(std::string(url), std::string(payload));
  });
  return payloads;
}

struct Case {
  const char* name;
  absl::StatusCode code;
  std::string message;
  Payloads payloads;
  std::string context;
  std::string want_message;
};

class WithContextTest : public ::testing::TestWithParam<Case> {};

TEST_P(WithContextTest, PrependsContextKeepsCodeAndPayloads) {
  const Case& c = GetParam();
  const absl::Status wrapped = WithContext(Make(c.code, c.message, c.payloads), c.context);
  EXPECT_EQ(wrapped.code(), c.code);
  EXPECT_EQ(wrapped.message(), c.want_message);
  EXPECT_EQ(PayloadsOf(wrapped), c.payloads);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WithContextTest,
    ::testing::Values(
        Case{"NoPayloads", absl::StatusCode::kNotFound, "no such thing", {}, "reading Secret a/b",
             "reading Secret a/b: no such thing"},
        Case{"KubernetesApiError",
             absl::StatusCode::kPermissionDenied,
             "GET /api/v1/x: 403 Forbidden: nope",
             {{"type.werf.io/kubernetes-reason", "Forbidden"}, {"type.werf.io/http-code", "403"}},
             "creating Job ns/j",
             "creating Job ns/j: GET /api/v1/x: 403 Forbidden: nope"},
        Case{"BinaryPayload", absl::StatusCode::kResourceExhausted, "slow down",
             {{"type.example/bytes", std::string("a\0b\xff", 4)}}, "list tags", "list tags: slow down"},
        Case{"EmptyMessage", absl::StatusCode::kInternal, "", {{"u", "v"}}, "context", "context: "},
        Case{"EmptyContext", absl::StatusCode::kUnavailable, "down", {}, "", ": down"}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(WithContextTest, OkStaysOk) {
  const absl::Status status = WithContext(absl::OkStatus(), "reading Secret a/b");
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.message(), "");
}

TEST(WithContextTest, NestsOutermostFirst) {
  const absl::Status inner = Make(absl::StatusCode::kAborted, "conflict", {{"reason", "Conflict"}});
  const absl::Status wrapped = WithContext(WithContext(inner, "replacing Job a/b"), "launching bundle a/x");
  EXPECT_EQ(wrapped.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(wrapped.message(), "launching bundle a/x: replacing Job a/b: conflict");
  EXPECT_EQ(PayloadsOf(wrapped), (Payloads{{"reason", "Conflict"}}));
}

TEST(WithContextTest, LeavesTheOriginalAlone) {
  const absl::Status inner = Make(absl::StatusCode::kNotFound, "gone", {{"u", "v"}});
  const absl::Status wrapped = WithContext(inner, "context");
  EXPECT_EQ(inner.message(), "gone");
  EXPECT_NE(wrapped, inner);
}

}  // namespace
}  // namespace werf::common
