#include "services/converger/converger_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::converger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ReadConvergerFlagsTest, DefaultsAreTheDocumentedOnes) {
  absl::FlagSaver saver;
  absl::StatusOr<ConvergerFlags> flags = ReadConvergerFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->werf_image, kDefaultWerfImage);
  EXPECT_TRUE(flags->job_env.empty());
  EXPECT_EQ(flags->watch_namespace, "");
  EXPECT_EQ(flags->capacity, 0u);
  EXPECT_EQ(flags->concurrent_requests, 4);
  EXPECT_EQ(flags->job_deadline_factor, 6);
  EXPECT_EQ(flags->job_deadline_margin, absl::Minutes(5));
  EXPECT_EQ(flags->drift_check_ttl, absl::Hours(1));
  EXPECT_EQ(flags->drift_checks_kept, 3);
  EXPECT_EQ(flags->ttl_seconds_override, 0);
}

TEST(ReadConvergerFlagsTest, ParsesJobEnv) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_job_env, "WERF_BUILDAH_MODE=auto, HTTPS_PROXY=http://proxy:3128");
  absl::StatusOr<ConvergerFlags> flags = ReadConvergerFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->job_env,
              ElementsAre(Pair("WERF_BUILDAH_MODE", "auto"), Pair("HTTPS_PROXY", "http://proxy:3128")));
}

TEST(ReadConvergerFlagsTest, RefusalsNameTheFlag) {
  struct Case {
    std::string job_env;
    int64_t job_deadline_factor;
    const char* message;
  };
  const Case cases[] = {
      {"NOEQUALS", 6, "--job_env: \"NOEQUALS\" is not KEY=VALUE"},
      {"1BAD=x", 6, "--job_env: \"1BAD\" is not an environment variable name"},
      {"HOME=/tmp", 6, "--job_env: HOME is set by the converger"},
      {"", -1, "--job_deadline_factor must be 0 (no deadline) or more, got -1"},
  };
  for (const Case& c : cases) {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_job_env, c.job_env);
    absl::SetFlag(&FLAGS_job_deadline_factor, c.job_deadline_factor);
    absl::StatusOr<ConvergerFlags> flags = ReadConvergerFlags();
    EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(flags.status().message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace werf::converger
