// WatchLimiter: --max_watches places, each held by a Slot until it is destroyed, shared
// by both transports; the refusal says which flag and what to do.
#include "services/gateway/watch_limiter.h"

#include <optional>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::gateway {
namespace {

using status_testing::Message;
using ::testing::HasSubstr;

TEST(WatchLimiterTest, RefusesTheWatchBeyondTheCapAcrossTransports) {
  WatchLimiter limiter(2);
  ASSERT_OK_AND_ASSIGN(WatchLimiter::Slot grpc, limiter.Acquire("grpc"));
  ASSERT_OK_AND_ASSIGN(WatchLimiter::Slot sse, limiter.Acquire("sse"));
  EXPECT_EQ(limiter.open(), 2);

  const absl::StatusOr<WatchLimiter::Slot> third = limiter.Acquire("grpc");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted) << third.status();
  EXPECT_THAT(Message(third.status()), HasSubstr("already serves 2 watches (--max_watches)"));
  EXPECT_THAT(Message(third.status()), HasSubstr("retry later"));
  EXPECT_EQ(limiter.open(), 2) << "a refusal holds no place";
}

TEST(WatchLimiterTest, AClosedWatchFreesItsPlace) {
  WatchLimiter limiter(1);
  {
    ASSERT_OK_AND_ASSIGN(WatchLimiter::Slot slot, limiter.Acquire("sse"));
    EXPECT_EQ(limiter.open(), 1);
    EXPECT_FALSE(limiter.Acquire("grpc").ok());
  }
  EXPECT_EQ(limiter.open(), 0);
  ASSERT_OK_AND_ASSIGN(WatchLimiter::Slot again, limiter.Acquire("grpc"));
  EXPECT_EQ(limiter.open(), 1);
}

TEST(WatchLimiterTest, AMovedSlotReleasesOnceWhenItsLastOwnerGoes) {
  WatchLimiter limiter(2);
  std::optional<WatchLimiter::Slot> moved;
  {
    ASSERT_OK_AND_ASSIGN(WatchLimiter::Slot slot, limiter.Acquire("grpc"));
    moved.emplace(std::move(slot));
  }  // the moved-from slot is destroyed here and must not release
  EXPECT_EQ(limiter.open(), 1);
  std::vector<WatchLimiter::Slot> held;
  held.push_back(*std::move(moved));
  moved.reset();
  EXPECT_EQ(limiter.open(), 1);
  held.clear();
  EXPECT_EQ(limiter.open(), 0);
}

TEST(WatchLimiterTest, ZeroMeansNoWatches) {
  WatchLimiter limiter(0);
  EXPECT_EQ(limiter.Acquire("grpc").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(limiter.Acquire("sse").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(limiter.open(), 0);
}

}  // namespace
}  // namespace werf::gateway
