#include "services/controller/controller_flags.h"

#include <functional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::controller {
namespace {

using ::testing::HasSubstr;

TEST(ControllerFlagsTest, DefaultsAreValid) {
  absl::FlagSaver saver;
  absl::StatusOr<ControllerFlags> flags = ReadControllerFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_TRUE(flags->leader_elect);
  EXPECT_EQ(flags->leader_election_id, "werf-controller");
  EXPECT_EQ(flags->workers, 2);
}

struct BadFlagsCase {
  std::string name;
  std::function<void()> set;
  std::string message;  // part of the error
};

class BadControllerFlagsTest : public ::testing::TestWithParam<BadFlagsCase> {};

TEST_P(BadControllerFlagsTest, NamesTheFlag) {
  absl::FlagSaver saver;
  GetParam().set();
  absl::StatusOr<ControllerFlags> flags = ReadControllerFlags();
  ASSERT_FALSE(flags.ok());
  EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(flags.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadControllerFlagsTest,
    ::testing::Values(
        BadFlagsCase{"NoWorkers", [] { absl::SetFlag(&FLAGS_workers, 0); }, "--workers must be at least 1"},
        BadFlagsCase{"ZeroRecheck", [] { absl::SetFlag(&FLAGS_recheck_interval, absl::ZeroDuration()); },
                     "--recheck_interval must be positive"},
        BadFlagsCase{"BackoffCapBelowBase",
                     [] {
                       absl::SetFlag(&FLAGS_failure_backoff_base, absl::Minutes(2));
                       absl::SetFlag(&FLAGS_failure_backoff_max, absl::Minutes(1));
                     },
                     "--failure_backoff_max (1m) must not be below --failure_backoff_base (2m)"},
        BadFlagsCase{"NotificationCapBelowBase",
                     [] { absl::SetFlag(&FLAGS_notification_retry_max, absl::Seconds(1)); },
                     "--notification_retry_max"},
        BadFlagsCase{"RenewNotShorterThanLease",
                     [] { absl::SetFlag(&FLAGS_renew_deadline, absl::Seconds(15)); },
                     "--renew_deadline (15s) must be shorter than --lease_duration (15s)"},
        BadFlagsCase{"RetryNotShorterThanRenew", [] { absl::SetFlag(&FLAGS_retry_period, absl::Seconds(10)); },
                     "--retry_period (10s) must be shorter than --renew_deadline (10s)"},
        BadFlagsCase{"EmptyLeaseName", [] { absl::SetFlag(&FLAGS_leader_election_id, ""); },
                     "--leader_election_id"}),
    [](const ::testing::TestParamInfo<BadFlagsCase>& info) { return info.param.name; });

TEST(ControllerFlagsTest, ElectionTimingsAreNotCheckedWithoutElection) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_leader_elect, false);
  absl::SetFlag(&FLAGS_renew_deadline, absl::Minutes(1));
  EXPECT_TRUE(ReadControllerFlags().ok());
}

}  // namespace
}  // namespace werf::controller
