// ReadGatewayFlags: the defaults are valid and carried over, and a value out of range is
// refused with an error that names the flag (the operator sees it in the pod's log).
#include "services/gateway/gateway_flags.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"

namespace werf::gateway {
namespace {

using status_testing::Message;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

TEST(GatewayFlagsTest, DefaultsAreValidAndMatchTheStructsDefaults) {
  absl::FlagSaver saver;
  ASSERT_OK_AND_ASSIGN(const GatewayFlags flags, ReadGatewayFlags());
  const GatewayFlags defaults;
  EXPECT_EQ(flags.auth, defaults.auth);
  EXPECT_EQ(flags.auth_cache_ttl, defaults.auth_cache_ttl);
  EXPECT_THAT(flags.auth_token_audiences, IsEmpty());
  EXPECT_THAT(flags.cors_allowed_origins, IsEmpty());
  EXPECT_EQ(flags.max_page_size, defaults.max_page_size);
  EXPECT_EQ(flags.max_watches, defaults.max_watches);
  EXPECT_EQ(flags.watch_heartbeat_interval, defaults.watch_heartbeat_interval);
  EXPECT_EQ(flags.watch_reauth_interval, defaults.watch_reauth_interval);
  EXPECT_EQ(flags.watch_change_log_size, defaults.watch_change_log_size);
  EXPECT_EQ(flags.watch_namespace, "");
}

TEST(GatewayFlagsTest, CarriesEveryValueSet) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_auth, true);
  absl::SetFlag(&FLAGS_auth_cache_ttl, absl::Seconds(30));
  absl::SetFlag(&FLAGS_auth_token_audiences, std::vector<std::string>{"werf-gateway", "api"});
  absl::SetFlag(&FLAGS_cors_allowed_origins, std::vector<std::string>{"https://grafana.example.com"});
  absl::SetFlag(&FLAGS_max_page_size, 50);
  absl::SetFlag(&FLAGS_max_watches, 7);
  absl::SetFlag(&FLAGS_watch_heartbeat_interval, absl::Seconds(5));
  absl::SetFlag(&FLAGS_watch_reauth_interval, absl::Minutes(3));
  absl::SetFlag(&FLAGS_watch_change_log_size, 128);
  absl::SetFlag(&FLAGS_watch_namespace, std::string("shop"));

  ASSERT_OK_AND_ASSIGN(const GatewayFlags flags, ReadGatewayFlags());
  EXPECT_TRUE(flags.auth);
  EXPECT_EQ(flags.auth_cache_ttl, absl::Seconds(30));
  EXPECT_THAT(flags.auth_token_audiences, ElementsAre("werf-gateway", "api"));
  EXPECT_THAT(flags.cors_allowed_origins, ElementsAre("https://grafana.example.com"));
  EXPECT_EQ(flags.max_page_size, 50);
  EXPECT_EQ(flags.max_watches, 7);
  EXPECT_EQ(flags.watch_heartbeat_interval, absl::Seconds(5));
  EXPECT_EQ(flags.watch_reauth_interval, absl::Minutes(3));
  EXPECT_EQ(flags.watch_change_log_size, 128);
  EXPECT_EQ(flags.watch_namespace, "shop");
}

TEST(GatewayFlagsTest, TheEdgesOfEachRangeAreAccepted) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_auth_cache_ttl, absl::ZeroDuration());  // no caching
  absl::SetFlag(&FLAGS_max_page_size, 1);
  absl::SetFlag(&FLAGS_max_watches, 0);  // watches off
  absl::SetFlag(&FLAGS_watch_heartbeat_interval, absl::Nanoseconds(1));
  absl::SetFlag(&FLAGS_watch_reauth_interval, absl::Nanoseconds(1));
  absl::SetFlag(&FLAGS_watch_change_log_size, 1);
  EXPECT_OK(ReadGatewayFlags().status());
}

struct BadFlagCase {
  std::string name;
  std::function<void()> set;
  std::string message;  // how the error starts: the flag, then what is wrong
};

class BadGatewayFlagTest : public ::testing::TestWithParam<BadFlagCase> {};

TEST_P(BadGatewayFlagTest, IsRefusedNamingTheFlag) {
  absl::FlagSaver saver;
  GetParam().set();
  const absl::StatusOr<GatewayFlags> flags = ReadGatewayFlags();
  EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument) << flags.status();
  EXPECT_THAT(Message(flags.status()), StartsWith(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadGatewayFlagTest,
    ::testing::Values(
        BadFlagCase{"NegativeAuthCacheTtl", [] { absl::SetFlag(&FLAGS_auth_cache_ttl, absl::Seconds(-1)); },
                    "--auth_cache_ttl must not be negative"},
        BadFlagCase{"ZeroPageSize", [] { absl::SetFlag(&FLAGS_max_page_size, 0); },
                    "--max_page_size must be at least 1, got 0"},
        BadFlagCase{"NegativePageSize", [] { absl::SetFlag(&FLAGS_max_page_size, -5); },
                    "--max_page_size must be at least 1, got -5"},
        BadFlagCase{"NegativeMaxWatches", [] { absl::SetFlag(&FLAGS_max_watches, -1); },
                    "--max_watches must not be negative, got -1"},
        BadFlagCase{"ZeroHeartbeat", [] { absl::SetFlag(&FLAGS_watch_heartbeat_interval, absl::ZeroDuration()); },
                    "--watch_heartbeat_interval must be positive"},
        BadFlagCase{"NegativeHeartbeat", [] { absl::SetFlag(&FLAGS_watch_heartbeat_interval, absl::Seconds(-1)); },
                    "--watch_heartbeat_interval must be positive"},
        BadFlagCase{"ZeroReauth", [] { absl::SetFlag(&FLAGS_watch_reauth_interval, absl::ZeroDuration()); },
                    "--watch_reauth_interval must be positive"},
        BadFlagCase{"ZeroChangeLog", [] { absl::SetFlag(&FLAGS_watch_change_log_size, 0); },
                    "--watch_change_log_size must be at least 1, got 0"}),
    [](const ::testing::TestParamInfo<BadFlagCase>& info) { return info.param.name; });

}  // namespace
}  // namespace werf::gateway
