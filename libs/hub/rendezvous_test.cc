#include "libs/hub/rendezvous.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace werf::hub {
namespace {

std::map<std::string, std::string> Assign(int keys, const std::vector<std::string>& members) {
  std::map<std::string, std::string> owners;
  for (int i = 0; i < keys; ++i) {
    const std::string key = absl::StrCat("registry.example.com/app-", i);
    owners[key] = *RendezvousOwner(key, members);
  }
  return owners;
}

TEST(RendezvousTest, NoMembersNoOwner) { EXPECT_FALSE(RendezvousOwner("k", {}).has_value()); }

TEST(RendezvousTest, OrderOfMembersDoesNotMatter) {
  EXPECT_EQ(Assign(200, {"a", "b", "c"}), Assign(200, {"c", "a", "b"}));
}

TEST(RendezvousTest, AddingAMemberMovesOnlyWhatItWins) {
  const auto before = Assign(3000, {"a", "b", "c"});
  const auto after = Assign(3000, {"a", "b", "c", "d"});
  int moved = 0;
  for (const auto& [key, owner] : after) {
    if (owner != before.at(key)) {
      EXPECT_EQ(owner, "d") << key;  // nothing moves between old members
      ++moved;
    }
  }
  // About a quarter moves to the newcomer.
  EXPECT_GT(moved, 3000 / 4 - 200);
  EXPECT_LT(moved, 3000 / 4 + 200);
}

TEST(RendezvousTest, RemovingAMemberMovesOnlyItsKeys) {
  const auto before = Assign(3000, {"a", "b", "c"});
  const auto after = Assign(3000, {"a", "c"});
  for (const auto& [key, owner] : after) {
    if (before.at(key) != "b") {
      EXPECT_EQ(owner, before.at(key)) << key;
    }
  }
}

}  // namespace
}  // namespace werf::hub
