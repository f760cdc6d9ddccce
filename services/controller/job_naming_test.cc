#include "services/controller/job_naming.h"

#include "gtest/gtest.h"
#include "re2/re2.h"

namespace werf::controller {
namespace {

JobIdentity Identity() {
  return {.bundle_namespace = "team", .bundle_name = "web", .bundle_uid = "u1", .tag = "1.2.3",
          .digest = "sha256:abc", .config_hash = "c1", .drift_check = false, .attempt = 0};
}

TEST(JobNamingTest, DeterministicAndSensitiveToEveryInput) {
  const std::string name = JobName(Identity());
  EXPECT_EQ(name, JobName(Identity()));
  for (auto mutate : std::vector<std::function<void(JobIdentity&)>>{
           [](JobIdentity& i) { i.tag = "1.2.4"; }, [](JobIdentity& i) { i.digest = "sha256:def"; },
           [](JobIdentity& i) { i.config_hash = "c2"; }, [](JobIdentity& i) { i.attempt = 1; },
           [](JobIdentity& i) { i.drift_check = true; }, [](JobIdentity& i) { i.bundle_uid = "u2"; }}) {
    JobIdentity other = Identity();
    mutate(other);
    EXPECT_NE(JobName(other), name);
  }
}

TEST(JobNamingTest, AlwaysADns1123LabelOfAtMost63) {
  for (const std::string& bundle :
       std::vector<std::string>{"web", "a.b.c", std::string(253, 'x'), "UPPER", "-dash-"}) {
    JobIdentity id = Identity();
    id.bundle_name = bundle;
    const std::string name = JobName(id);
    EXPECT_LE(name.size(), 63u) << name;
    EXPECT_TRUE(re2::RE2::FullMatch(name, "[a-z0-9]([-a-z0-9]*[a-z0-9])?")) << name;
  }
}

}  // namespace
}  // namespace werf::controller
