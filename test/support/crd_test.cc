#include "test/support/crd.h"

#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/kube/resource.h"
#include "libs/kube/testing/fake_rest_client.h"
#include "nlohmann/json.hpp"

namespace werf::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::werf::status_testing::Message;

TEST(WerfBundleCrdManifestTest, IsTheRepositorysWerfBundleCrd) {
  ASSERT_OK_AND_ASSIGN(const std::string manifest, WerfBundleCrdManifest());
  EXPECT_THAT(manifest, HasSubstr("kind: CustomResourceDefinition"));
  EXPECT_THAT(manifest, HasSubstr(absl::StrCat("name: ", kWerfBundleCrdName)));
  EXPECT_THAT(WerfBundleCrdPath(), HasSubstr("deploy/kustomize/base/crd-werfbundles.yaml"));
}

TEST(WerfBundleCrdManifestTest, ReplacesEveryOccurrence) {
  // What the e2e tests install: the interval floor lowered.
  ASSERT_OK_AND_ASSIGN(const std::string manifest, WerfBundleCrdManifest({{"duration('1m')", "duration('1s')"}}));
  EXPECT_THAT(manifest, Not(HasSubstr("duration('1m')")));
  EXPECT_THAT(manifest, HasSubstr("duration('1s')"));
}

TEST(WerfBundleCrdManifestTest, RefusesAReplacementThatMatchesNothing) {
  for (const std::string& from : {std::string("duration('7m')"), std::string()}) {
    const absl::StatusOr<std::string> manifest = WerfBundleCrdManifest({{from, "x"}});
    ASSERT_FALSE(manifest.ok()) << "replacing \"" << from << "\"";
    EXPECT_EQ(manifest.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(Message(manifest.status()), HasSubstr(absl::StrCat("\"", from, "\"")));
    EXPECT_THAT(Message(manifest.status()), HasSubstr(WerfBundleCrdPath()));
  }
}

nlohmann::json Crd(const nlohmann::json& conditions) {
  nlohmann::json crd = {{"apiVersion", "apiextensions.k8s.io/v1"},
                        {"kind", "CustomResourceDefinition"},
                        {"metadata", {{"name", std::string(kWerfBundleCrdName)}}}};
  if (!conditions.is_null()) crd["status"] = {{"conditions", conditions}};
  return crd;
}

struct EstablishedCase {
  std::string name;
  bool exists = true;
  nlohmann::json conditions{};
  bool established = false;
};

class WaitForCrdEstablishedTest : public ::testing::TestWithParam<EstablishedCase> {};

TEST_P(WaitForCrdEstablishedTest, WaitsForEstablishedTrue) {
  kube::testing::FakeRestClient fake;
  if (GetParam().exists) fake.Seed(kube::resources::kCustomResourceDefinitions, Crd(GetParam().conditions));
  const absl::Status waited =
      WaitForCrdEstablished(fake, kWerfBundleCrdName, absl::Milliseconds(300), absl::Milliseconds(20));
  if (GetParam().established) {
    EXPECT_OK(waited);
    return;
  }
  EXPECT_EQ(waited.code(), absl::StatusCode::kDeadlineExceeded) << waited;
  EXPECT_THAT(Message(waited), HasSubstr(absl::StrCat("CustomResourceDefinition ", kWerfBundleCrdName)));
  EXPECT_THAT(Message(waited), HasSubstr("not Established"));
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, WaitForCrdEstablishedTest,
    ::testing::Values(
        EstablishedCase{.name = "Established",
                        .exists = true,
                        .conditions = {{{"type", "NamesAccepted"}, {"status", "True"}},
                                       {{"type", "Established"}, {"status", "True"}}},
                        .established = true},
        EstablishedCase{.name = "NamesAcceptedOnly",
                        .exists = true,
                        .conditions = {{{"type", "NamesAccepted"}, {"status", "True"}}},
                        .established = false},
        EstablishedCase{.name = "EstablishedFalse",
                        .exists = true,
                        .conditions = {{{"type", "Established"}, {"status", "False"}}},
                        .established = false},
        EstablishedCase{.name = "NoStatus", .exists = true, .conditions = nullptr, .established = false},
        EstablishedCase{.name = "Absent", .exists = false, .conditions = nullptr, .established = false}),
    [](const ::testing::TestParamInfo<EstablishedCase>& info) { return info.param.name; });

TEST(WaitForCrdEstablishedTest, SaysWhatItLastSaw) {
  kube::testing::FakeRestClient fake;
  fake.Seed(kube::resources::kCustomResourceDefinitions,
            Crd({{{"type", "NamesAccepted"}, {"status", "False"}, {"reason", "MultipleNamesNotAllowed"}}}));
  const absl::Status waited = WaitForCrdEstablished(fake, kWerfBundleCrdName, absl::Milliseconds(100));
  EXPECT_THAT(Message(waited), HasSubstr("MultipleNamesNotAllowed"));
}

TEST(WaitForCrdEstablishedTest, ReturnsOnceItBecomesEstablished) {
  kube::testing::FakeRestClient fake;
  fake.Seed(kube::resources::kCustomResourceDefinitions, Crd(nullptr));
  std::thread establish([&fake] {
    absl::SleepFor(absl::Milliseconds(200));
    fake.Seed(kube::resources::kCustomResourceDefinitions, Crd({{{"type", "Established"}, {"status", "True"}}}));
  });
  EXPECT_OK(WaitForCrdEstablished(fake, kWerfBundleCrdName, absl::Seconds(30), absl::Milliseconds(20)));
  establish.join();
}

}  // namespace
}  // namespace werf::test_support
