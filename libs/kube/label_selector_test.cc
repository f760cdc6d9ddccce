#include "libs/kube/label_selector.h"

#include <map>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::kube {
namespace {

using ::testing::HasSubstr;

std::map<std::string, std::string> Labels(
    std::initializer_list<std::pair<const std::string, std::string>> entries) {
  return std::map<std::string, std::string>(entries);
}

struct MatchCase {
  std::string selector;
  std::string canonical;
  bool matches_payments_prod;  // against {team: payments, tier: prod, replicas: 3}
};

class LabelSelectorMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(LabelSelectorMatchTest, ParsesCanonicalisesAndMatches) {
  const MatchCase& c = GetParam();
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(c.selector);
  ASSERT_TRUE(selector.ok()) << selector.status();
  EXPECT_EQ(selector->ToString(), c.canonical);
  EXPECT_EQ(selector->Matches(Labels({{"team", "payments"}, {"tier", "prod"}, {"replicas", "3"}})),
            c.matches_payments_prod);
  // The canonical form parses to the same selector.
  absl::StatusOr<LabelSelector> again = LabelSelector::Parse(selector->ToString());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ToString(), c.canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Table, LabelSelectorMatchTest,
    ::testing::Values(
        MatchCase{"", "", true},
        MatchCase{"   ", "", true},
        MatchCase{"team=payments", "team=payments", true},
        MatchCase{"team==payments", "team=payments", true},
        MatchCase{"team = payments", "team=payments", true},
        MatchCase{"team=search", "team=search", false},
        MatchCase{"team!=search", "team!=search", true},
        MatchCase{"owner!=alice", "owner!=alice", true},  // absent label satisfies !=
        MatchCase{"team=", "team=", false},
        MatchCase{"missing=", "missing=", false},          // = needs the label present
        MatchCase{"tier in (prod, staging)", "tier in (prod,staging)", true},
        MatchCase{"tier in (staging,staging)", "tier in (staging)", false},
        MatchCase{"tier notin (dev,test)", "tier notin (dev,test)", true},
        MatchCase{"owner notin (alice)", "owner notin (alice)", true},  // absent satisfies notin
        MatchCase{"team", "team", true},
        MatchCase{"owner", "owner", false},
        MatchCase{"!owner", "!owner", true},
        MatchCase{"!team", "!team", false},
        MatchCase{"replicas>2", "replicas>2", true},
        MatchCase{"replicas<3", "replicas<3", false},
        MatchCase{"team>1", "team>1", false},  // not a number: never greater
        MatchCase{"tier=prod,team=payments", "team=payments,tier=prod", true},
        MatchCase{"tier=prod,team=search", "team=search,tier=prod", false},
        MatchCase{"example.com/owner", "example.com/owner", false},
        MatchCase{"app.kubernetes.io/part-of!=werf", "app.kubernetes.io/part-of!=werf", true}));

// The lookup form, for labels that are not in a map of strings (object JSON, say).
TEST(LabelSelectorTest, MatchesThroughALookup) {
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse("team in (payments),!owner");
  ASSERT_TRUE(selector.ok()) << selector.status();
  auto labels_with_team = [](absl::string_view team) {
    return [team](absl::string_view key) -> std::optional<absl::string_view> {
      if (key == "team") return team;
      return std::nullopt;
    };
  };
  EXPECT_TRUE(selector->Matches(labels_with_team("payments")));
  EXPECT_FALSE(selector->Matches(labels_with_team("search")));
  EXPECT_FALSE(selector->Matches([](absl::string_view) -> std::optional<absl::string_view> { return "x"; }));
}

struct ErrorCase {
  std::string selector;
  std::string message_part;
};

class LabelSelectorErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(LabelSelectorErrorTest, NamesTheSelectorAndTheProblem) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(c.selector);
  ASSERT_FALSE(selector.ok()) << c.selector << " parsed as " << selector->ToString();
  EXPECT_EQ(selector.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(selector.status().message(), HasSubstr("\"" + c.selector + "\""));
  EXPECT_THAT(selector.status().message(), HasSubstr(c.message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Table, LabelSelectorErrorTest,
    ::testing::Values(
        ErrorCase{"tier in dev", "expected \"(\" after \"in\" at offset 8"},
        ErrorCase{"tier in ()", "needs at least one value"},
        ErrorCase{"tier in (a b)", "expected \",\" or \")\""},
        ErrorCase{"tier in (a,", "expected a label value, found the end"},
        ErrorCase{"tier notin (a", "expected \",\" or \")\", found the end"},
        ErrorCase{"=prod", "expected a label key"},
        ErrorCase{"team=payments,", "expected a label key, found the end"},
        ErrorCase{",team", "expected a label key"},
        ErrorCase{"team payments", "expected an operator"},
        ErrorCase{"team=a=b", "expected \",\" or the end"},
        ErrorCase{"-team=x", "is not a valid label key"},
        ErrorCase{"Example.com/team=x", "is not a valid label key"},
        ErrorCase{"a/b/c=x", "is not a valid label key"},
        ErrorCase{"team=-x", "is not a valid label value"},
        ErrorCase{"team=" + std::string(64, 'a'), "is not a valid label value"},
        ErrorCase{"replicas>three", "needs an integer"},
        ErrorCase{"!", "expected a label key"},
        ErrorCase{"team=(x)", "expected a label value"}));

}  // namespace
}  // namespace werf::kube
