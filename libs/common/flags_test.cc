#include "libs/common/flags.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, flags_test_budget, 7, "test-only flag");

namespace werf::common {
namespace {

class FlagsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* variable : {"WERF_GRPC_ADDRESS", "WERF_FLAGS_TEST_BUDGET"}) {
      unsetenv(variable);
    }
  }
  absl::FlagSaver saver_;  // restores every flag after each test
};

TEST_F(FlagsTest, EnvironmentVariableNameIsPrefixedUpperCase) {
  EXPECT_EQ(EnvironmentVariableForFlag("grpc_address"), "WERF_GRPC_ADDRESS");
  EXPECT_EQ(EnvironmentVariableForFlag("controller_address"), "WERF_CONTROLLER_ADDRESS");
}

TEST_F(FlagsTest, DefaultWhenNeitherEnvironmentNorCommandLine) {
  ASSERT_TRUE(ApplyFlagEnvironment().ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_grpc_address), "0.0.0.0:9090");
}

TEST_F(FlagsTest, EnvironmentOverridesDefault) {
  setenv("WERF_GRPC_ADDRESS", "127.0.0.1:7000", 1);
  setenv("WERF_FLAGS_TEST_BUDGET", "42", 1);
  ASSERT_TRUE(ApplyFlagEnvironment().ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_grpc_address), "127.0.0.1:7000");
  EXPECT_EQ(absl::GetFlag(FLAGS_flags_test_budget), 42);
}

TEST_F(FlagsTest, CommandLineOverridesEnvironment) {
  setenv("WERF_GRPC_ADDRESS", "127.0.0.1:7000", 1);
  std::vector<std::string> args = {"binary", "--grpc_address=127.0.0.1:8000", "positional"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  const std::vector<char*> rest =
      ParseFlagsWithEnvironment(static_cast<int>(argv.size()), argv.data(), "test");
  EXPECT_EQ(absl::GetFlag(FLAGS_grpc_address), "127.0.0.1:8000");
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_STREQ(rest[1], "positional");
}

TEST_F(FlagsTest, UnparsableEnvironmentValueNamesTheVariable) {
  setenv("WERF_FLAGS_TEST_BUDGET", "many", 1);
  const absl::Status status = ApplyFlagEnvironment();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), ::testing::HasSubstr("WERF_FLAGS_TEST_BUDGET"));
  EXPECT_EQ(absl::GetFlag(FLAGS_flags_test_budget), 7);
}

}  // namespace
}  // namespace werf::common
