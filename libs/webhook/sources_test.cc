// Per-source rules beyond the documented examples: which events count, where the
// host comes from, canonical names, deduplication.
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/webhook/distribution.h"
#include "libs/webhook/dockerhub.h"
#include "libs/webhook/generic.h"
#include "libs/webhook/github.h"
#include "libs/webhook/gitlab.h"
#include "libs/webhook/harbor.h"
#include "libs/webhook/quay.h"
#include "libs/webhook/test_util.h"

namespace werf::webhook {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::werf::status_testing::Message;
using testing::Event;
using testing::MakeDelivery;

std::vector<RepositoryEvent> MustParse(Parser parser, const std::string& body,
                                       std::map<std::string, std::string> headers = {}) {
  absl::StatusOr<std::vector<RepositoryEvent>> events = parser(MakeDelivery(body, std::move(headers)));
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? *events : std::vector<RepositoryEvent>{};
}

// One distribution event; `extra` is spliced into the event object.
std::string DistributionEvent(const std::string& action, const std::string& media_type, const std::string& repository,
                              const std::string& tag, const std::string& url, const std::string& extra = "") {
  std::string target = R"("repository":")" + repository + R"(")";
  if (!media_type.empty()) target += R"(,"mediaType":")" + media_type + R"(")";
  if (!tag.empty()) target += R"(,"tag":")" + tag + R"(")";
  if (!url.empty()) target += R"(,"url":")" + url + R"(")";
  return R"({"action":")" + action + R"(","target":{)" + target + "}" + extra + "}";
}

std::string Envelope(const std::vector<std::string>& events) {
  std::string body = R"({"events":[)";
  for (size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
  return body + "]}";
}

constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
constexpr char kLayer[] = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr char kUrl[] = "http://registry.example.com:5000/v2/team/app/manifests/v1";

TEST(DistributionTest, OnlyManifestPushesCount) {
  const std::string body = Envelope({
      DistributionEvent("pull", kOciManifest, "team/app", "v1", kUrl),
      DistributionEvent("delete", "", "team/app", "", kUrl),
      DistributionEvent("mount", kLayer, "team/app", "", "http://registry.example.com:5000/v2/team/app/blobs/x"),
      DistributionEvent("push", kLayer, "team/app", "", "http://registry.example.com:5000/v2/team/app/blobs/x"),
      DistributionEvent("push", "application/vnd.oci.image.config.v1+json", "team/app", "", kUrl),
      DistributionEvent("push", kOciIndex, "team/app", "v1", kUrl),
  });
  EXPECT_THAT(MustParse(&ParseDistribution, body), ElementsAre(Event("registry.example.com:5000", "team/app", "v1")));
}

TEST(DistributionTest, EmptyEnvelopeNamesNothing) {
  EXPECT_THAT(MustParse(&ParseDistribution, R"({"events":[]})"), IsEmpty());
}

TEST(DistributionTest, ManifestUrlCountsWhenMediaTypeIsMissing) {
  EXPECT_THAT(MustParse(&ParseDistribution, Envelope({DistributionEvent("push", "", "team/app", "v1", kUrl)})),
              ElementsAre(Event("registry.example.com:5000", "team/app", "v1")));
  EXPECT_THAT(MustParse(&ParseDistribution,
                        Envelope({DistributionEvent("push", "", "team/app", "",
                                                    "http://registry.example.com:5000/v2/team/app/blobs/x")})),
              IsEmpty());
}

TEST(DistributionTest, HostFallsBackToRequestHost) {
  const std::string body = Envelope(
      {DistributionEvent("push", kOciManifest, "team/app", "v2", "", R"(,"request":{"host":"Registry.Example.com"})")});
  EXPECT_THAT(MustParse(&ParseDistribution, body), ElementsAre(Event("registry.example.com", "team/app", "v2")));
}

TEST(DistributionTest, HostsAreCanonical) {
  const std::string body = Envelope({DistributionEvent("push", kOciManifest, "nginx", "1.27",
                                                       "https://registry-1.docker.io/v2/library/nginx/manifests/1.27")});
  EXPECT_THAT(MustParse(&ParseDistribution, body), ElementsAre(Event("docker.io", "library/nginx", "1.27")));
}

TEST(DistributionTest, DeduplicatesWithinADelivery) {
  const std::string push = DistributionEvent("push", kOciManifest, "team/app", "v1", kUrl);
  const std::string by_digest = DistributionEvent("push", kOciManifest, "team/app", "", kUrl);
  EXPECT_THAT(MustParse(&ParseDistribution, Envelope({push, by_digest, push, by_digest, push})),
              ElementsAre(Event("registry.example.com:5000", "team/app", "v1"),
                          Event("registry.example.com:5000", "team/app")));
}

TEST(GitLabTest, ProjectHooksNameNothing) {
  EXPECT_THAT(MustParse(&ParseGitLab, R"({"object_kind":"push"})", {{"x-gitlab-event", "Push Hook"}}), IsEmpty());
}

TEST(GitLabTest, RenameNamesNothing) {
  const std::string body = Envelope({R"({"action":"rename","target":{"repository":"group/new",)"
                                     R"("rename":{"type":"name","from":"old","to":"new"}}})"});
  EXPECT_THAT(MustParse(&ParseGitLab, body), IsEmpty());
}

TEST(HarborTest, OnlyPushArtifactCounts) {
  for (const char* type : {"PULL_ARTIFACT", "DELETE_ARTIFACT", "SCANNING_COMPLETED", "QUOTA_WARNING", "REPLICATION"}) {
    const std::string body = std::string(R"({"type":")") + type +
                             R"(","event_data":{"repository":{"repo_full_name":"p/r"},)"
                             R"("resources":[{"tag":"v1","resource_url":"harbor.example/p/r:v1"}]}})";
    EXPECT_THAT(MustParse(&ParseHarbor, body), IsEmpty()) << type;
  }
}

TEST(HarborTest, EveryResourceIsAnEvent) {
  const std::string body =
      R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"proj/team/app"},"resources":[)"
      R"({"tag":"v1","resource_url":"harbor.example:8443/proj/team/app:v1"},)"
      R"({"tag":"latest","resource_url":"harbor.example:8443/proj/team/app:latest"},)"
      R"({"digest":"sha256:00","resource_url":"harbor.example:8443/proj/team/app@sha256:00"},)"
      R"({"tag":"v1","resource_url":"harbor.example:8443/proj/team/app:v1"}]}})";
  EXPECT_THAT(MustParse(&ParseHarbor, body), ElementsAre(Event("harbor.example:8443", "proj/team/app", "v1"),
                                                         Event("harbor.example:8443", "proj/team/app", "latest"),
                                                         Event("harbor.example:8443", "proj/team/app")));
}

TEST(HarborTest, CloudEventsFormat) {
  const std::string pushed =
      R"({"specversion":"1.0","id":"66e18103","source":"/projects/2/webhook/policies/15",)"
      R"("type":"harbor.artifact.pushed","datacontenttype":"application/json","time":"2023-04-03T06:04:46Z",)"
      R"("data":{"resources":[{"digest":"sha256:ab","tag":"stable","resource_url":"registry.example/team/app:stable"}],)"
      R"("repository":{"name":"app","namespace":"team","repo_full_name":"team/app","repo_type":"private"}}})";
  EXPECT_THAT(MustParse(&ParseHarbor, pushed), ElementsAre(Event("registry.example", "team/app", "stable")));
  const std::string pulled = R"({"specversion":"1.0","id":"1","source":"/p","type":"harbor.artifact.pulled","data":{}})";
  EXPECT_THAT(MustParse(&ParseHarbor, pulled), IsEmpty());
}

TEST(DockerHubTest, OfficialImagesAreUnderLibrary) {
  EXPECT_THAT(MustParse(&ParseDockerHub, R"({"push_data":{"tag":"1.27"},"repository":{"repo_name":"nginx"}})"),
              ElementsAre(Event("docker.io", "library/nginx", "1.27")));
  EXPECT_THAT(MustParse(&ParseDockerHub, R"({"push_data":{"tag":"1.27"},"repository":{"repo_name":"library/nginx"}})"),
              ElementsAre(Event("docker.io", "library/nginx", "1.27")));
}

TEST(DockerHubTest, TagIsOptional) {
  EXPECT_THAT(MustParse(&ParseDockerHub, R"({"repository":{"repo_name":"team/app"}})"),
              ElementsAre(Event("docker.io", "team/app")));
}

TEST(QuayTest, OtherNotificationsNameNothing) {
  // The shape of Quay's "Dockerfile Build Queued" example.
  const std::string build_queued =
      R"({"build_id":"296ec063-5f86-4706-a469-f0a400bf9df2","trigger_kind":"github","name":"test",)"
      R"("repository":"dgangaia/test","namespace":"dgangaia","docker_url":"quay.io/dgangaia/test",)"
      R"("docker_tags":["master","latest"],"repo":"test"})";
  EXPECT_THAT(MustParse(&ParseQuay, build_queued), IsEmpty());
  EXPECT_THAT(MustParse(&ParseQuay, R"({"repository":"a/b","docker_url":"quay.io/a/b","vulnerability":{}})"),
              IsEmpty());
}

TEST(QuayTest, SelfHostedQuayAndNoTags) {
  EXPECT_THAT(MustParse(&ParseQuay, R"({"docker_url":"quay.corp.example:8443/org/app","updated_tags":["v1","v2","v1"]})"),
              ElementsAre(Event("quay.corp.example:8443", "org/app", "v1"), Event("quay.corp.example:8443", "org/app", "v2")));
  EXPECT_THAT(MustParse(&ParseQuay, R"({"docker_url":"quay.io/org/app","updated_tags":[]})"),
              ElementsAre(Event("quay.io", "org/app")));
}

const std::map<std::string, std::string> kPackage = {{"x-github-event", "package"}};

std::string GitHubPackage(const std::string& action, const std::string& package_type, const std::string& tag) {
  return R"({"action":")" + action + R"(","package":{"name":"My-App","namespace":"Octo-Org",)"
         R"("package_type":")" + package_type + R"(","owner":{"login":"Octo-Org"},)"
         R"("package_version":{"container_metadata":{"tag":{"name":")" + tag + R"(","digest":"sha256:00"}}}}})";
}

TEST(GitHubTest, PublishedAndUpdatedContainerPackagesCount) {
  EXPECT_THAT(MustParse(&ParseGitHub, GitHubPackage("published", "CONTAINER", "v1.2.3"), kPackage),
              ElementsAre(Event("ghcr.io", "octo-org/my-app", "v1.2.3")));
  EXPECT_THAT(MustParse(&ParseGitHub, GitHubPackage("updated", "container", ""), kPackage),
              ElementsAre(Event("ghcr.io", "octo-org/my-app")));
  EXPECT_THAT(MustParse(&ParseGitHub, GitHubPackage("published", "npm", "v1"), kPackage), IsEmpty());
}

TEST(GitHubTest, OtherActionsAndEventsNameNothing) {
  EXPECT_THAT(MustParse(&ParseGitHub, R"({"zen":"Keep it logically awesome.","hook_id":1})", {{"x-github-event", "ping"}}),
              IsEmpty());
  EXPECT_THAT(MustParse(&ParseGitHub, GitHubPackage("deleted", "CONTAINER", "v1"), kPackage), IsEmpty());
  EXPECT_THAT(MustParse(&ParseGitHub, R"({"ref":"refs/heads/main"})", {{"x-github-event", "push"}}), IsEmpty());
}

TEST(GitHubTest, NamespaceWhenNoOwner) {
  const std::string body = R"({"action":"published","package":{"name":"tools/app","namespace":"Org",)"
                           R"("package_type":"CONTAINER"}})";
  EXPECT_THAT(MustParse(&ParseGitHub, body, kPackage), ElementsAre(Event("ghcr.io", "org/tools/app")));
}

TEST(GitHubTest, EventHeaderIsRequired) {
  absl::StatusOr<std::vector<RepositoryEvent>> events =
      ParseGitHub(MakeDelivery(GitHubPackage("published", "CONTAINER", "v1")));
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(events.status()), "X-GitHub-Event header is missing");
}

TEST(GenericTest, OneEventOrAList) {
  EXPECT_THAT(MustParse(&ParseGeneric, R"({"registry":"registry.example.com:5000","repository":"team/app","tag":"v1.2.3"})"),
              ElementsAre(Event("registry.example.com:5000", "team/app", "v1.2.3")));
  EXPECT_THAT(MustParse(&ParseGeneric, R"({"events":[{"registry":"index.docker.io","repository":"nginx"},)"
                                       R"({"registry":"docker.io","repository":"library/nginx"},)"
                                       R"({"registry":"R.Example","repository":"a","tag":"t"}]})"),
              ElementsAre(Event("docker.io", "library/nginx"), Event("r.example", "a", "t")));
  EXPECT_THAT(MustParse(&ParseGeneric, R"({"events":[]})"), IsEmpty());
}

}  // namespace
}  // namespace werf::webhook
