// Every fixture in testdata/ (each a vendor's documented example payload, see
// testdata/README.md) parses to the repositories it names, or to none.
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/webhook/cloudevents.h"
#include "libs/webhook/distribution.h"
#include "libs/webhook/dockerhub.h"
#include "libs/webhook/github.h"
#include "libs/webhook/gitlab.h"
#include "libs/webhook/harbor.h"
#include "libs/webhook/quay.h"
#include "libs/webhook/test_util.h"

namespace werf::webhook {
namespace {

using ::testing::ElementsAreArray;
using testing::Event;
using testing::MakeDelivery;
using testing::ReadTestdata;

struct FixtureCase {
  std::string file;
  Parser parser = nullptr;
  std::map<std::string, std::string> headers;
  std::vector<RepositoryEvent> want;
};

void PrintTo(const FixtureCase& c, std::ostream* os) { *os << c.file; }

class FixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(FixtureTest, ParsesToDocumentedRepositories) {
  const FixtureCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events, c.parser(MakeDelivery(ReadTestdata(c.file), c.headers)));
  EXPECT_THAT(events, ElementsAreArray(c.want));
}

const std::map<std::string, std::string> kGitHubPackage = {{"x-github-event", "package"}};
const std::map<std::string, std::string> kGitHubRegistryPackage = {{"x-github-event", "registry_package"}};
const std::map<std::string, std::string> kCloudEventJson = {{"content-type", "application/cloudevents+json"}};

INSTANTIATE_TEST_SUITE_P(
    Vendors, FixtureTest,
    ::testing::Values(
        // The manifest pushed by digest counts (no tag); the two layer pushes do not.
        FixtureCase{"distribution_push.json", &ParseDistribution, {}, {Event("example.com", "library/test")}},
        FixtureCase{"distribution_pull.json", &ParseDistribution, {}, {}},
        FixtureCase{"gitlab_push.json", &ParseGitLab, {}, {Event("registry.test:5000", "root/test", "latest")}},
        FixtureCase{"gitlab_push.json", &ParseDistribution, {}, {Event("registry.test:5000", "root/test", "latest")}},
        FixtureCase{"harbor_push_artifact.json", &ParseHarbor, {},
                    {Event("hub.harbor.com", "test-webhook/debian", "latest")}},
        FixtureCase{"dockerhub_push.json", &ParseDockerHub, {}, {Event("docker.io", "svendowideit/testhook", "latest")}},
        FixtureCase{"quay_repo_push.json", &ParseQuay, {}, {Event("quay.io", "dgangaia/test", "latest")}},
        FixtureCase{"quay_repo_push_legacy.json", &ParseQuay, {}, {Event("quay.io", "devtable/ubuntu", "latest")}},
        // GitHub's examples push by digest: container_metadata.tag.name is "".
        FixtureCase{"github_package_published_container.json", &ParseGitHub, kGitHubPackage,
                    {Event("ghcr.io", "codertocat/hello-world-npm")}},
        FixtureCase{"github_registry_package_published_container.json", &ParseGitHub, kGitHubRegistryPackage,
                    {Event("ghcr.io", "codertocat/hello-world-npm")}},
        FixtureCase{"github_package_published_npm.json", &ParseGitHub, kGitHubPackage, {}},
        // A package event delivered under another event name is not read as one.
        FixtureCase{"github_package_published_container.json", &ParseGitHub, {{"x-github-event", "push"}}, {}},
        // ECR's event as EventBridge posts it to an API destination.
        FixtureCase{"ecr_eventbridge_push.json", &ParseCloudEvents, {{"content-type", "application/json"}},
                    {Event("123456789012.dkr.ecr.us-west-2.amazonaws.com", "my-repository-name", "latest")}},
        // A well-formed CloudEvent about something else.
        FixtureCase{"cloudevents_spec_example.json", &ParseCloudEvents, kCloudEventJson, {}}));

}  // namespace
}  // namespace werf::webhook
