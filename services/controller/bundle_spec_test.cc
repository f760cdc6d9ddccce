#include "services/controller/bundle_spec.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::controller {
namespace {

using ::testing::HasSubstr;

nlohmann::json Bundle() {
  return {{"metadata", {{"namespace", "team"}, {"name", "web"}, {"uid", "u1"}, {"generation", 3}}},
          {"spec",
           {{"registry", {{"url", "registry.example.com/team/web"}}},
            {"converge", {{"serviceAccountName", "deployer"}}}}}};
}

TEST(BundleSpecTest, DefaultsFromTheDesign) {
  const absl::StatusOr<BundleSpec> spec = ParseBundleSpec(Bundle());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->poll_interval, absl::Minutes(15));
  EXPECT_EQ(spec->target_namespace, "team");
  EXPECT_EQ(spec->release, "web");
  EXPECT_EQ(spec->log_retention_days, 7);
  EXPECT_EQ(spec->cpu, "1");
  EXPECT_EQ(spec->memory, "1Gi");
  EXPECT_EQ(spec->drift_interval, absl::Minutes(15));
  EXPECT_EQ(spec->generation, 3);
  EXPECT_FALSE(spec->suspend);
}

struct BadCase {
  std::string name;
  std::function<void(nlohmann::json&)> mutate;
  std::string expected;
};

class BundleSpecErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BundleSpecErrorTest, NamesTheField) {
  nlohmann::json bundle = Bundle();
  GetParam().mutate(bundle);
  const absl::StatusOr<BundleSpec> spec = ParseBundleSpec(bundle);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BundleSpecErrorTest,
    ::testing::Values(
        BadCase{"no_url", [](nlohmann::json& b) { b["spec"]["registry"].erase("url"); },
                "spec.registry.url"},
        BadCase{"bad_interval",
                [](nlohmann::json& b) { b["spec"]["registry"]["pollInterval"] = "15"; },
                "spec.registry.pollInterval"},
        BadCase{"bad_constraint",
                [](nlohmann::json& b) { b["spec"]["registry"]["versionConstraint"] = ">=1.2.3.4"; },
                "spec.registry.versionConstraint"},
        BadCase{"bad_regex", [](nlohmann::json& b) { b["spec"]["registry"]["tagFilter"] = "(["; },
                "spec.registry.tagFilter"},
        BadCase{"no_service_account",
                [](nlohmann::json& b) { b["spec"]["converge"].erase("serviceAccountName"); },
                "spec.converge.serviceAccountName"},
        BadCase{"both_sources",
                [](nlohmann::json& b) {
                  b["spec"]["converge"]["valuesFrom"] = {
                      {{"configMapRef", {{"name", "a"}}}, {"secretRef", {{"name", "b"}}}}};
                },
                "spec.converge.valuesFrom[0]"},
        BadCase{"too_many_values_sources",
                [](nlohmann::json& b) {
                  nlohmann::json sources = nlohmann::json::array();
                  for (int i = 0; i < 17; ++i) sources.push_back({{"configMapRef", {{"name", absl::StrCat("v", i)}}}});
                  b["spec"]["converge"]["valuesFrom"] = sources;
                },
                "spec.converge.valuesFrom: at most 16 entries"},
        BadCase{"too_many_pod_labels",
                [](nlohmann::json& b) {
                  for (int i = 0; i < 33; ++i) b["spec"]["converge"]["podLabels"][absl::StrCat("l", i)] = "x";
                },
                "spec.converge.podLabels: at most 32 entries"},
        BadCase{"huge_pod_annotation",
                [](nlohmann::json& b) { b["spec"]["converge"]["podAnnotations"]["a"] = std::string(2000, 'x'); },
                "spec.converge.podAnnotations.a: at most 1024 bytes"},
        BadCase{"bad_timeout", [](nlohmann::json& b) { b["spec"]["converge"]["timeout"] = "1y"; },
                "spec.converge.timeout"}),
    [](const auto& info) { return info.param.name; });

TEST(BundleSpecTest, ConvergeHashFollowsConvergeSettingsOnly) {
  nlohmann::json bundle = Bundle();
  const std::string base = ParseBundleSpec(bundle)->ConvergeSpecHash();
  bundle["spec"]["registry"]["pollInterval"] = "1m";  // polling only
  EXPECT_EQ(ParseBundleSpec(bundle)->ConvergeSpecHash(), base);
  bundle["spec"]["converge"]["release"] = "other";
  EXPECT_NE(ParseBundleSpec(bundle)->ConvergeSpecHash(), base);
}

TEST(BundleSpecTest, PlainHttpImpliesInsecureAndIsPartOfTheConvergeHash) {
  nlohmann::json bundle = Bundle();
  EXPECT_FALSE(ParseBundleSpec(bundle)->plain_http);
  bundle["spec"]["registry"]["insecure"] = true;
  const std::string insecure = ParseBundleSpec(bundle)->ConvergeSpecHash();
  EXPECT_FALSE(ParseBundleSpec(bundle)->plain_http) << "insecure alone is HTTPS without verification";
  bundle["spec"]["registry"].erase("insecure");
  bundle["spec"]["registry"]["plainHTTP"] = true;
  const absl::StatusOr<BundleSpec> plain = ParseBundleSpec(bundle);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->plain_http);
  EXPECT_TRUE(plain->insecure) << "the poller's insecure mode falls back to HTTP";
  EXPECT_NE(plain->ConvergeSpecHash(), insecure) << "werf gets different flags";
}

}  // namespace
}  // namespace werf::controller
