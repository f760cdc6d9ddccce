#include "services/controller/registry_state.h"

#include "gtest/gtest.h"

namespace werf::controller {
namespace {

pb::RepositoryObservation Failed(uint32_t consecutive) {
  pb::RepositoryObservation observation;
  observation.set_key("registry.example.com/app");
  observation.mutable_poll_failed()->set_message("connection refused");
  observation.mutable_poll_failed()->set_consecutive_failures(consecutive);
  return observation;
}

pb::RepositoryObservation Tags(std::vector<std::string> tags) {
  pb::RepositoryObservation observation;
  observation.set_key("registry.example.com/app");
  for (const std::string& tag : tags) observation.mutable_tags_changed()->add_tags(tag);
  return observation;
}

TEST(RegistryStatesTest, FailureCountGoesOnWhenAnotherPollerTakesOver) {
  RegistryStates states;
  states.Apply(Failed(1));
  states.Apply(Failed(2));
  states.Apply(Failed(3));
  EXPECT_EQ(states.Get("registry.example.com/app").consecutive_failures, 3);
  // The repository moved: the new poller counts from 1 again.
  states.Apply(Failed(1));
  EXPECT_EQ(states.Get("registry.example.com/app").consecutive_failures, 4);
  states.Apply(Failed(2));
  EXPECT_EQ(states.Get("registry.example.com/app").consecutive_failures, 5);
}

TEST(RegistryStatesTest, ASuccessfulPollResetsTheCount) {
  RegistryStates states;
  states.Apply(Failed(4));
  EXPECT_TRUE(states.Apply(Tags({"1.0.0"})));
  const RegistryFacts facts = states.Get("registry.example.com/app");
  EXPECT_EQ(facts.consecutive_failures, 0);
  EXPECT_FALSE(facts.failure.has_value());
  ASSERT_TRUE(facts.tags_known);
  EXPECT_TRUE(facts.tags->Equals({"1.0.0"}));
  // The same list again changes nothing and keeps the set (and its cached choices).
  const TagSet* before = facts.tags.get();
  EXPECT_FALSE(states.Apply(Tags({"1.0.0"})));
  EXPECT_EQ(states.Get("registry.example.com/app").tags.get(), before);
  EXPECT_TRUE(states.Apply(Tags({"1.0.0", "1.1.0"})));
  EXPECT_NE(states.Get("registry.example.com/app").tags.get(), before);
  states.Apply(Failed(1));
  EXPECT_EQ(states.Get("registry.example.com/app").consecutive_failures, 1);
}

TEST(RegistryStatesTest, AThrottledPollIsNoFailureAndARecoveryEndsIt) {
  RegistryStates states;
  states.Apply(Failed(2));
  pb::RepositoryObservation throttled;
  throttled.set_key("registry.example.com/app");
  throttled.mutable_poll_throttled()->set_message("rate limiting us");
  EXPECT_TRUE(states.Apply(throttled));
  RegistryFacts facts = states.Get("registry.example.com/app");
  EXPECT_TRUE(facts.throttled.has_value());
  EXPECT_EQ(facts.consecutive_failures, 2) << "neither counted nor forgiven";
  EXPECT_TRUE(facts.failure.has_value());

  pb::RepositoryObservation recovered;
  recovered.set_key("registry.example.com/app");
  recovered.mutable_poll_recovered()->set_previous_failures(2);
  EXPECT_TRUE(states.Apply(recovered));
  facts = states.Get("registry.example.com/app");
  EXPECT_FALSE(facts.throttled.has_value());
  EXPECT_EQ(facts.consecutive_failures, 0);
}

TEST(RegistryStatesTest, UnchangedTagsAreNoChangeAndForgetReleasesTheState) {
  RegistryStates states;
  EXPECT_TRUE(states.Apply(Tags({"1.0.0"})));
  EXPECT_FALSE(states.Apply(Tags({"1.0.0"})));
  EXPECT_EQ(states.size(), 1u);
  states.Forget("registry.example.com/app");
  EXPECT_EQ(states.size(), 0u);
  EXPECT_FALSE(states.Get("registry.example.com/app").tags_known);
}

}  // namespace
}  // namespace werf::controller
