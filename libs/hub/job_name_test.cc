#include "libs/hub/job_name.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::hub {
namespace {

namespace pb = ::werf::operator_::v1;
using ::testing::MatchesRegex;

JobNameInputs Base() {
  return {.bundle_namespace = "team-a",
          .bundle_name = "shop",
          .bundle_uid = "3f0c6c1e-0000-4000-8000-000000000001",
          .tag = "1.4.2",
          .digest = "sha256:aaaa",
          .config_hash = "c0ffee",
          .kind = pb::JOB_KIND_APPLY};
}

bool IsDnsLabel(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (!absl::ascii_isalnum(name.front()) || !absl::ascii_isalnum(name.back())) return false;
  for (char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) return false;
  }
  return true;
}

TEST(JobName, HasBundlePrefixKindLetterAndTenHexDigits) {
  EXPECT_THAT(JobName(Base()), MatchesRegex("shop-a-[0-9a-f]{10}"));
  JobNameInputs drift = Base();
  drift.kind = pb::JOB_KIND_DRIFT_CHECK;
  drift.attempt = 29433333;
  EXPECT_THAT(JobName(drift), MatchesRegex("shop-d-[0-9a-f]{10}"));
}

TEST(JobName, IsDeterministic) { EXPECT_EQ(JobName(Base()), JobName(Base())); }

TEST(JobName, EveryInputChangesTheName) {
  std::set<std::string> names = {JobName(Base())};
  const auto vary = [&](auto mutate) {
    JobNameInputs inputs = Base();
    mutate(inputs);
    EXPECT_TRUE(names.insert(JobName(inputs)).second) << JobName(inputs);
  };
  vary([](JobNameInputs& in) { in.bundle_namespace = "team-b"; });
  vary([](JobNameInputs& in) { in.bundle_name = "shop2"; });
  vary([](JobNameInputs& in) { in.bundle_uid = "other"; });
  vary([](JobNameInputs& in) { in.kind = pb::JOB_KIND_DRIFT_CHECK; });
  vary([](JobNameInputs& in) { in.tag = "1.4.3"; });
  vary([](JobNameInputs& in) { in.digest = "sha256:bbbb"; });
  vary([](JobNameInputs& in) { in.config_hash = "beef"; });
  vary([](JobNameInputs& in) { in.attempt = 1; });
}

TEST(JobName, FieldBoundariesDoNotCollide) {
  JobNameInputs a = Base();
  a.tag = "1.4";
  a.digest = "2sha";
  JobNameInputs b = Base();
  b.tag = "1.42";
  b.digest = "sha";
  EXPECT_NE(JobName(a), JobName(b));
}

TEST(JobName, LongAndOddBundleNamesGiveValidDnsLabels) {
  for (const std::string& bundle_name :
       std::vector<std::string>{std::string(253, 'x'), std::string("my.app.example.com"), std::string("UPPER-case"),
        std::string("a--b"), std::string("..."), std::string(49, 'y') + "-z"}) {
    JobNameInputs inputs = Base();
    inputs.bundle_name = bundle_name;
    const std::string name = JobName(inputs);
    EXPECT_TRUE(IsDnsLabel(name)) << bundle_name << " -> " << name;
  }
  JobNameInputs dotted = Base();
  dotted.bundle_name = "my.app";
  EXPECT_THAT(JobName(dotted), MatchesRegex("my-app-a-[0-9a-f]{10}"));
  JobNameInputs symbols = Base();
  symbols.bundle_name = "...";
  EXPECT_THAT(JobName(symbols), MatchesRegex("bundle-a-[0-9a-f]{10}"));
  JobNameInputs longest = Base();
  longest.bundle_name = std::string(100, 'q');
  EXPECT_EQ(JobName(longest).size(), 61u);
}

// Golden names computed with services/controller/job_naming.cc (commit 21ed7eb): the
// controller can call hub::JobName instead and no existing Job changes its name.
TEST(JobName, MatchesTheControllersNames) {
  EXPECT_EQ(JobName(Base()), "shop-a-f63ec87658");
  JobNameInputs drift = Base();
  drift.kind = pb::JOB_KIND_DRIFT_CHECK;
  drift.attempt = 29433333;
  EXPECT_EQ(JobName(drift), "shop-d-a7fd66d55f");
  JobNameInputs odd = Base();
  odd.bundle_name = "My.App." + std::string(60, 'x');
  odd.attempt = 2;
  EXPECT_EQ(JobName(odd), "my-app-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-a-2f85bdad89");
  JobNameInputs dots = Base();
  dots.bundle_name = "...";
  EXPECT_EQ(JobName(dots), "bundle-a-fbd16f8b9f");
}

TEST(JobName, ForRequestUsesTheRequestFields) {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_("team-a");
  request.mutable_bundle()->set_name("shop");
  request.mutable_bundle()->set_uid("3f0c6c1e-0000-4000-8000-000000000001");
  request.set_kind(pb::JOB_KIND_APPLY);
  request.set_tag("1.4.2");
  request.set_digest("sha256:aaaa");
  request.set_config_hash("c0ffee");
  request.set_repository("ignored.example.com/app");
  EXPECT_EQ(JobNameForRequest(request), JobName(Base()));
  JobNameInputs with_attempt = Base();
  with_attempt.attempt = 7;
  EXPECT_EQ(JobNameForRequest(request, 7), JobName(with_attempt));
}

}  // namespace
}  // namespace werf::hub
