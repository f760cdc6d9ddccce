#include "libs/kube/object_store.h"

#include "gtest/gtest.h"

namespace werf::kube {
namespace {

ObjectPtr Object(const std::string& ns, const std::string& name, const std::string& team,
                 const std::string& rv = "1") {
  return std::make_shared<const nlohmann::json>(nlohmann::json{
      {"metadata",
       {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}, {"labels", {{"team", team}}}}}});
}

std::vector<std::string> Keys(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> keys;
  for (const ObjectPtr& o : objects) keys.push_back(ObjectKey(*o));
  return keys;
}

TEST(ObjectStoreTest, IndexesFollowUpsertsAndRemoves) {
  ObjectStore store;
  EXPECT_EQ(store.Upsert(Object("a", "x", "red")), nullptr);
  EXPECT_EQ(store.Upsert(Object("b", "y", "red")), nullptr);
  EXPECT_EQ(Keys(store.ListByLabel("team", "red")), (std::vector<std::string>{"a/x", "b/y"}));

  // Relabelling moves the object between label index entries.
  ObjectPtr previous = store.Upsert(Object("a", "x", "blue", "2"));
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ((*previous)["metadata"]["resourceVersion"], "1");
  EXPECT_EQ(Keys(store.ListByLabel("team", "red")), (std::vector<std::string>{"b/y"}));
  EXPECT_EQ(Keys(store.ListByLabel("team", "blue")), (std::vector<std::string>{"a/x"}));
  EXPECT_EQ(Keys(store.ListNamespace("a")), (std::vector<std::string>{"a/x"}));

  EXPECT_NE(store.Remove("a/x"), nullptr);
  EXPECT_EQ(store.Remove("a/x"), nullptr);
  EXPECT_TRUE(store.ListByLabel("team", "blue").empty());
  EXPECT_TRUE(store.ListNamespace("a").empty());
  EXPECT_EQ(store.Size(), 1u);
}

TEST(ObjectStoreTest, ReplaceReportsVanishedObjects) {
  ObjectStore store;
  store.Upsert(Object("a", "keep", "t"));
  store.Upsert(Object("a", "gone", "t"));
  const std::vector<ObjectPtr> removed =
      store.Replace({Object("a", "keep", "t", "5"), Object("a", "new", "t")});
  EXPECT_EQ(Keys(removed), (std::vector<std::string>{"a/gone"}));
  EXPECT_EQ(Keys(store.List()), (std::vector<std::string>{"a/keep", "a/new"}));
  EXPECT_EQ((*store.Get("a/keep"))["metadata"]["resourceVersion"], "5");
}

TEST(ObjectStoreTest, ClusterScopedKeysHaveNoNamespace) {
  EXPECT_EQ(ObjectKey(nlohmann::json{{"metadata", {{"name", "node-1"}}}}), "node-1");
  EXPECT_EQ(ObjectKey("ns", "n"), "ns/n");
}

}  // namespace
}  // namespace werf::kube
