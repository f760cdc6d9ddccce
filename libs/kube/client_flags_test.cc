#include "libs/kube/client_flags.h"

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::kube {
namespace {

using ::testing::HasSubstr;

TEST(RestOptionsFromFlagsTest, DefaultsAreFluxLike) {
  absl::FlagSaver saver;
  absl::StatusOr<RestOptions> options = RestOptionsFromFlags();
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->qps, 50);
  EXPECT_EQ(options->burst, 300);
}

TEST(RestOptionsFromFlagsTest, TakesTheFlags) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_kube_api_qps, 400);
  absl::SetFlag(&FLAGS_kube_api_burst, 800);
  absl::StatusOr<RestOptions> options = RestOptionsFromFlags();
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->qps, 400);
  EXPECT_EQ(options->burst, 800);
}

TEST(RestOptionsFromFlagsTest, RefusesWhatWouldStallOrDisableTheLimiter) {
  struct Case {
    double qps;
    int burst;
    const char* message;
  };
  for (const Case& c : {Case{0, 10, "--kube_api_qps must be a positive number"},
                        Case{-1, 10, "--kube_api_qps must be a positive number"},
                        Case{10, 0, "--kube_api_burst must be at least 1"}}) {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_kube_api_qps, c.qps);
    absl::SetFlag(&FLAGS_kube_api_burst, c.burst);
    absl::StatusOr<RestOptions> options = RestOptionsFromFlags();
    EXPECT_FALSE(options.ok()) << c.qps << "/" << c.burst;
    EXPECT_THAT(options.status().message(), HasSubstr(c.message));
  }
}

TEST(RestClientFromFlagsTest, SaysWhichStepFailed) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_kube_api_qps, 0);
  absl::StatusOr<std::shared_ptr<RestClient>> refused = RestClientFromFlags({.server = "https://127.0.0.1:6443"});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("invalid Kubernetes client flags: --kube_api_qps"));

  absl::SetFlag(&FLAGS_kube_api_qps, 50);
  absl::StatusOr<std::shared_ptr<RestClient>> made = RestClientFromFlags({.server = "https://127.0.0.1:6443"});
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_NE(*made, nullptr);

  absl::StatusOr<std::shared_ptr<RestClient>> unconfigured = RestClientFromFlags({});
  ASSERT_FALSE(unconfigured.ok());
  EXPECT_THAT(unconfigured.status().message(),
              HasSubstr("cannot create the Kubernetes client: the cluster configuration has no API server"));
}

}  // namespace
}  // namespace werf::kube
