#include "test/support/test_namespace.h"

#include <map>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/kube/resource.h"
#include "libs/kube/testing/fake_rest_client.h"
#include "nlohmann/json.hpp"

namespace werf::test_support {
namespace {

struct CreateCase {
  std::string name;
  NamespaceOptions options{};
  nlohmann::json metadata{};  // what the created Namespace's metadata holds besides its name
};

class CreateNamespaceTest : public ::testing::TestWithParam<CreateCase> {};

TEST_P(CreateNamespaceTest, CarriesTheOptionsFromTheStart) {
  kube::testing::FakeRestClient fake;
  ASSERT_OK(CreateNamespace(fake, "team-a", GetParam().options));
  const std::optional<nlohmann::json> created = fake.Object(kube::resources::kNamespaces, "", "team-a");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ((*created)["kind"], "Namespace");
  nlohmann::json metadata = (*created)["metadata"];
  EXPECT_EQ(metadata["name"], "team-a");
  // What the fake stamps, not what the request carried.
  for (const char* stamped : {"name", "uid", "resourceVersion", "creationTimestamp", "generation"}) {
    metadata.erase(stamped);
  }
  EXPECT_EQ(metadata, GetParam().metadata);
  EXPECT_EQ(fake.requests(kube::testing::Verb::kCreate).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Options, CreateNamespaceTest,
    ::testing::Values(
        CreateCase{.name = "None", .options = {}, .metadata = nlohmann::json::object()},
        CreateCase{.name = "Labels",
                   .options = {.labels = {{"team", "a"}}, .annotations = {}},
                   .metadata = {{"labels", {{"team", "a"}}}}},
        CreateCase{.name = "Annotations",
                   .options = {.labels = {}, .annotations = {{"werf.io/accept-bundles-from", "ns/deployer"}}},
                   .metadata = {{"annotations", {{"werf.io/accept-bundles-from", "ns/deployer"}}}}},
        CreateCase{.name = "Both",
                   .options = {.labels = {{"team", "a"}, {"tier", "prod"}}, .annotations = {{"a", "1"}}},
                   .metadata = {{"labels", {{"team", "a"}, {"tier", "prod"}}}, {"annotations", {{"a", "1"}}}}}),
    [](const ::testing::TestParamInfo<CreateCase>& info) { return info.param.name; });

TEST(CreateNamespaceTest, AnExistingNamespaceIsAlreadyExists) {
  kube::testing::FakeRestClient fake;
  ASSERT_OK(CreateNamespace(fake, "team-a"));
  EXPECT_EQ(CreateNamespace(fake, "team-a").code(), absl::StatusCode::kAlreadyExists);
}

TEST(DeleteNamespaceTest, DeletesIt) {
  kube::testing::FakeRestClient fake;
  ASSERT_OK(CreateNamespace(fake, "team-a"));
  ASSERT_OK(DeleteNamespace(fake, "team-a"));
  EXPECT_FALSE(fake.Object(kube::resources::kNamespaces, "", "team-a").has_value());
}

}  // namespace
}  // namespace werf::test_support
