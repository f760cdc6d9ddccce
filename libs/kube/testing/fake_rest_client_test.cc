// The fake answers as the API server does where product code branches on it.
#include "libs/kube/testing/fake_rest_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kube/api_error.h"

namespace werf::kube::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json ConfigMap(const std::string& ns, const std::string& name, json labels = json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
          {"data", {{"k", "v"}}}};
}

std::vector<std::string> Names(const std::vector<json>& items) {
  std::vector<std::string> names;
  for (const json& item : items) names.push_back(item["metadata"]["name"].get<std::string>());
  return names;
}

class FakeRestClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeRestClient> fake_ = std::make_shared<FakeRestClient>();
  RestClient& api_ = *fake_;
};

TEST_F(FakeRestClientTest, CreateGetAndTheErrorsOfMissingAndDuplicateObjects) {
  absl::StatusOr<json> created = api_.Create(resources::kConfigMaps, "n", ConfigMap("n", "a"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE((*created)["metadata"]["resourceVersion"].get<std::string>().empty());
  EXPECT_FALSE((*created)["metadata"]["uid"].get<std::string>().empty());

  EXPECT_EQ(*api_.Get(resources::kConfigMaps, "n", "a"), *created);
  const absl::Status missing = api_.Get(resources::kConfigMaps, "n", "b").status();
  EXPECT_TRUE(IsApiNotFound(missing)) << missing;
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  const absl::Status duplicate = api_.Create(resources::kConfigMaps, "n", ConfigMap("n", "a")).status();
  EXPECT_TRUE(IsApiAlreadyExists(duplicate)) << duplicate;
  EXPECT_FALSE(IsApiConflict(duplicate));
}

TEST_F(FakeRestClientTest, StaleUpdateIsAConflictAndEveryWriteBumpsTheResourceVersion) {
  const json first = *api_.Create(resources::kConfigMaps, "n", ConfigMap("n", "a"));
  json changed = first;
  changed["data"]["k"] = "w";
  absl::StatusOr<json> updated = api_.Update(resources::kConfigMaps, "n", changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"]);

  const absl::Status stale = api_.Update(resources::kConfigMaps, "n", first).status();
  EXPECT_TRUE(IsApiConflict(stale)) << stale;
  EXPECT_THAT(std::string(stale.message()), HasSubstr("the object has been modified"));
  EXPECT_EQ((*api_.Get(resources::kConfigMaps, "n", "a"))["data"]["k"], "w");
}

TEST_F(FakeRestClientTest, ListsByNamespaceAndLabelsAndPages) {
  fake_->Seed(resources::kConfigMaps, ConfigMap("n", "a", {{"app", "x"}}));
  fake_->Seed(resources::kConfigMaps, ConfigMap("n", "b", {{"app", "y"}}));
  fake_->Seed(resources::kConfigMaps, ConfigMap("n", "c", {{"app", "x"}}));
  fake_->Seed(resources::kConfigMaps, ConfigMap("other", "d", {{"app", "x"}}));
  fake_->Seed(resources::kSecrets, ConfigMap("n", "secret"));

  EXPECT_THAT(Names(api_.ListAll(resources::kConfigMaps, "n")->items), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Names(api_.ListAll(resources::kConfigMaps, "")->items), ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(Names(api_.ListAll(resources::kConfigMaps, "", {.label_selector = "app=x"})->items),
              ElementsAre("a", "c", "d"));
  EXPECT_THAT(Names(api_.ListAll(resources::kConfigMaps, "n", {.label_selector = "app!=x"})->items),
              ElementsAre("b"));
  // Set-based selectors too: the fake parses them with the real parser (label_selector.h).
  EXPECT_THAT(Names(api_.ListAll(resources::kConfigMaps, "", {.label_selector = "app in (x,z)"})->items),
              ElementsAre("a", "c", "d"));
  EXPECT_THAT(Names(api_.ListAll(resources::kConfigMaps, "", {.label_selector = "app notin (x)"})->items),
              ElementsAre("b"));
  EXPECT_EQ(api_.List(resources::kConfigMaps, "", {.label_selector = "app in x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api_.List(resources::kConfigMaps, "", {.field_selector = "metadata.name in (a)"}).status().code(),
            absl::StatusCode::kUnimplemented);
  // A Secret's type, as the controller's Secret informer skips Helm's release Secrets.
  json release = ConfigMap("n", "release");
  release["type"] = "helm.sh/release.v1";
  fake_->Seed(resources::kSecrets, release);
  EXPECT_THAT(Names(api_.ListAll(resources::kSecrets, "n", {.field_selector = "type!=helm.sh/release.v1"})->items),
              ElementsAre("secret"));
  EXPECT_THAT(Names(api_.ListAll(resources::kSecrets, "n", {.field_selector = "type=helm.sh/release.v1"})->items),
              ElementsAre("release"));

  absl::StatusOr<ListResult> page = api_.List(resources::kConfigMaps, "", {.limit = 3});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Names(page->items), ElementsAre("a", "b", "c"));
  ASSERT_FALSE(page->continue_token.empty());
  page = api_.List(resources::kConfigMaps, "", {.limit = 3, .continue_token = page->continue_token});
  EXPECT_THAT(Names(page->items), ElementsAre("d"));
  EXPECT_TRUE(page->continue_token.empty());
}

TEST_F(FakeRestClientTest, FinalizersHoldADeletedObjectUntilTheyAreRemoved) {
  json object = ConfigMap("n", "a");
  object["metadata"]["finalizers"] = {"werf.io/cleanup"};
  fake_->Seed(resources::kConfigMaps, object);
  ASSERT_TRUE(api_.Delete(resources::kConfigMaps, "n", "a").ok());
  absl::StatusOr<json> deleting = api_.Get(resources::kConfigMaps, "n", "a");
  ASSERT_TRUE(deleting.ok()) << deleting.status();
  EXPECT_TRUE((*deleting)["metadata"].contains("deletionTimestamp"));

  ASSERT_TRUE(api_.Patch(resources::kConfigMaps, "n", "a", PatchType::kMerge,
                         {{"metadata", {{"finalizers", nullptr}}}})
                  .ok());
  EXPECT_TRUE(IsApiNotFound(api_.Get(resources::kConfigMaps, "n", "a").status()));
}

TEST_F(FakeRestClientTest, RecordsRequestsAndFailsTheVerbItWasToldTo) {
  fake_->Seed(resources::kConfigMaps, ConfigMap("n", "a"));
  fake_->FailNext(Verb::kGet, ApiError(403, "Forbidden"));
  EXPECT_TRUE(IsApiForbidden(api_.Get(resources::kConfigMaps, "n", "a").status()));
  EXPECT_TRUE(api_.Get(resources::kConfigMaps, "n", "a").ok());
  EXPECT_TRUE(api_.Delete(resources::kConfigMaps, "n", "a").ok());
  EXPECT_THAT(fake_->requests(),
              ElementsAre(Request{.verb = Verb::kGet, .resource = "configmaps", .ns = "n", .name = "a"},
                          Request{.verb = Verb::kGet, .resource = "configmaps", .ns = "n", .name = "a"},
                          Request{.verb = Verb::kDelete, .resource = "configmaps", .ns = "n", .name = "a"}));
}

TEST_F(FakeRestClientTest, WatchStreamsTheWritesAfterItsResourceVersion) {
  fake_->Seed(resources::kConfigMaps, ConfigMap("n", "before"));
  const std::string from = std::to_string(fake_->resource_version());
  fake_->Seed(resources::kConfigMaps, ConfigMap("n", "a"));
  fake_->Seed(resources::kConfigMaps, ConfigMap("other", "b"));
  ASSERT_TRUE(api_.Delete(resources::kConfigMaps, "n", "a").ok());
  std::string streamed;
  const absl::Status watched = api_.Watch(
      resources::kConfigMaps, "n", {.resource_version = from, .timeout_seconds = 0},
      [&](absl::string_view chunk) {
        absl::StrAppend(&streamed, chunk);
        return true;
      },
      nullptr);
  EXPECT_TRUE(watched.ok()) << watched;
  std::vector<std::string> events;
  for (absl::string_view line : absl::StrSplit(streamed, '\n', absl::SkipEmpty())) {
    const json event = json::parse(line);
    events.push_back(event["type"].get<std::string>() + " " + event["object"]["metadata"]["name"].get<std::string>());
  }
  EXPECT_THAT(events, ElementsAre("ADDED a", "DELETED a"));
}

}  // namespace
}  // namespace werf::kube::testing
