#include "libs/oci/token_cache.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/fake_clock.h"

namespace werf::oci {
namespace {

using ::werf::common::testing::FakeClock;

TokenKey Key(std::string scope = "repository:team/app:pull", std::string identity = "anonymous") {
  return TokenKey{.realm = "https://auth.example.com/token",
                  .service = "registry.example.com",
                  .scope = std::move(scope),
                  .identity = std::move(identity)};
}

struct ExpiryCase {
  std::string name{};
  absl::Duration expires_in{};  // as the token service said; <= 0: not said
  absl::Duration still_valid_at{};
  absl::Duration refreshed_at{};
};

class ExpiryTest : public ::testing::TestWithParam<ExpiryCase> {};

TEST_P(ExpiryTest, HandsOutTheTokenUntilShortlyBeforeExpiry) {
  FakeClock clock;
  TokenCache cache(clock);
  cache.Put(Key(), "token", GetParam().expires_in);
  clock.Advance(GetParam().still_valid_at);
  EXPECT_EQ(cache.Get(Key()), "token");
  clock.Advance(GetParam().refreshed_at - GetParam().still_valid_at);
  EXPECT_EQ(cache.Get(Key()), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(
    Lifetimes, ExpiryTest,
    ::testing::Values(
        // Distribution token spec: 60 s when expires_in is absent; refreshed 6 s early.
        ExpiryCase{"DefaultSixtySeconds", absl::ZeroDuration(), absl::Seconds(53), absl::Seconds(54)},
        ExpiryCase{"NegativeMeansDefault", absl::Seconds(-5), absl::Seconds(53), absl::Seconds(54)},
        ExpiryCase{"FiveMinutes", absl::Seconds(300), absl::Seconds(269), absl::Seconds(270)},
        // The early margin is capped at 30 s.
        ExpiryCase{"OneHour", absl::Hours(1), absl::Seconds(3569), absl::Seconds(3570)},
        // A shorter lifetime than the spec allows is still honoured: never use an expired token.
        ExpiryCase{"TenSeconds", absl::Seconds(10), absl::Seconds(8), absl::Seconds(9)}),
    [](const ::testing::TestParamInfo<ExpiryCase>& info) { return info.param.name; });

TEST(TokenCacheTest, KeysAreRealmServiceScopeAndIdentity) {
  FakeClock clock;
  TokenCache cache(clock);
  cache.Put(Key(), "anonymous-token", absl::Seconds(300));
  cache.Put(Key("repository:team/app:pull", "user:u#1234"), "user-token", absl::Seconds(300));
  EXPECT_EQ(cache.Get(Key()), "anonymous-token");
  EXPECT_EQ(cache.Get(Key("repository:team/app:pull", "user:u#1234")), "user-token");
  EXPECT_EQ(cache.Get(Key("repository:team/other:pull")), std::nullopt);
  TokenKey other_service = Key();
  other_service.service = "other";
  EXPECT_EQ(cache.Get(other_service), std::nullopt);
  TokenKey other_realm = Key();
  other_realm.realm = "https://evil.example.com/token";
  EXPECT_EQ(cache.Get(other_realm), std::nullopt);
}

TEST(TokenCacheTest, KeyFieldsDoNotRunTogether) {
  FakeClock clock;
  TokenCache cache(clock);
  cache.Put(TokenKey{.realm = "a", .service = "bc", .scope = "", .identity = ""}, "t", absl::Seconds(300));
  EXPECT_EQ(cache.Get(TokenKey{.realm = "ab", .service = "c", .scope = "", .identity = ""}), std::nullopt);
}

TEST(TokenCacheTest, PutReplacesAndInvalidateForgets) {
  FakeClock clock;
  TokenCache cache(clock);
  cache.Put(Key(), "old", absl::Seconds(300));
  cache.Put(Key(), "new", absl::Seconds(300));
  EXPECT_EQ(cache.Get(Key()), "new");
  cache.Invalidate(Key());
  EXPECT_EQ(cache.Get(Key()), std::nullopt);
}

TEST(TokenCacheTest, EvictsExpiredThenSoonestExpiringWhenFull) {
  FakeClock clock;
  TokenCache cache(clock, /*max_entries=*/2);
  cache.Put(Key("a"), "a", absl::Seconds(10));
  cache.Put(Key("b"), "b", absl::Seconds(600));
  clock.Advance(absl::Seconds(20));
  cache.Put(Key("c"), "c", absl::Seconds(300));  // "a" has expired: it goes
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get(Key("b")), "b");
  cache.Put(Key("d"), "d", absl::Seconds(900));  // none expired: "c" expires soonest
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get(Key("c")), std::nullopt);
  EXPECT_EQ(cache.Get(Key("b")), "b");
  EXPECT_EQ(cache.Get(Key("d")), "d");
}

TEST(TokenCacheTest, RefreshMarginIsATenthCappedAtThirtySeconds) {
  EXPECT_EQ(TokenCache::RefreshMargin(absl::Seconds(60)), absl::Seconds(6));
  EXPECT_EQ(TokenCache::RefreshMargin(absl::Seconds(300)), absl::Seconds(30));
  EXPECT_EQ(TokenCache::RefreshMargin(absl::Hours(24)), absl::Seconds(30));
}

}  // namespace
}  // namespace werf::oci
