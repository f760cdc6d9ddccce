// Bodies a sender should be told about: not JSON, cut short, nested absurdly, or
// with a field of the wrong type. Every parser answers InvalidArgument with a short
// reason, never throws, and never echoes the body.
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/webhook/cloudevents.h"
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

using ::testing::HasSubstr;
using ::testing::Not;
using ::werf::status_testing::Message;
using testing::MakeDelivery;
using testing::ReadTestdata;

struct Source {
  std::string name;
  Parser parser = nullptr;
  std::map<std::string, std::string> headers;
  std::string fixture;
};

const std::vector<Source>& Sources() {
  static const auto* const kSources = new std::vector<Source>{
      {"distribution", &ParseDistribution, {}, "distribution_push.json"},
      {"gitlab", &ParseGitLab, {}, "gitlab_push.json"},
      {"harbor", &ParseHarbor, {}, "harbor_push_artifact.json"},
      {"dockerhub", &ParseDockerHub, {}, "dockerhub_push.json"},
      {"quay", &ParseQuay, {}, "quay_repo_push.json"},
      {"github", &ParseGitHub, {{"x-github-event", "package"}}, "github_package_published_container.json"},
      {"cloudevents", &ParseCloudEvents, {{"content-type", "application/cloudevents+json"}},
       "ecr_eventbridge_push.json"},
      {"generic", &ParseGeneric, {}, ""},
  };
  return *kSources;
}

void ExpectInvalid(const Source& source, const std::string& body, const std::string& what) {
  absl::StatusOr<std::vector<RepositoryEvent>> events = source.parser(MakeDelivery(body, source.headers));
  ASSERT_FALSE(events.ok()) << source.name << " accepted " << what;
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument) << source.name << ", " << what;
  EXPECT_FALSE(events.status().message().empty());
  EXPECT_LT(events.status().message().size(), 400u) << source.name << ", " << what << ": " << events.status();
}

TEST(MalformedBodyTest, EveryParserRefusesNonJson) {
  const std::vector<std::string> bodies = {
      "", " ", "{", "}", "not json", "{\"events\": [", "[]", "42", "\"text\"", "null", "true",
      "{\"a\": \"\xff\xfe\"}",  // not UTF-8
      "{\"a\": 1,}",           // trailing comma
  };
  for (const Source& source : Sources()) {
    for (const std::string& body : bodies) ExpectInvalid(source, body, "\"" + body + "\"");
  }
}

TEST(MalformedBodyTest, EveryParserRefusesATruncatedFixture) {
  for (const Source& source : Sources()) {
    if (source.fixture.empty()) continue;
    const std::string body = ReadTestdata(source.fixture);
    for (size_t cut : {size_t{1}, body.size() / 3, body.size() / 2, body.size() - 2}) {
      ExpectInvalid(source, body.substr(0, cut), "its fixture cut at " + std::to_string(cut));
    }
  }
}

TEST(MalformedBodyTest, EveryParserRefusesDeepNesting) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string deep_object = "{\"events\":" + std::string(70, '[') + std::string(70, ']') + "}";
  for (const Source& source : Sources()) {
    ExpectInvalid(source, deep, "100000 nested arrays");
    ExpectInvalid(source, deep_object, "70 nested arrays in an object");
  }
}

TEST(MalformedBodyTest, ErrorsDoNotEchoTheBody) {
  const std::string body = R"({"events": [{"action": "push", "note": "hunter2-SECRET-MARKER" )";
  for (const Source& source : Sources()) {
    absl::StatusOr<std::vector<RepositoryEvent>> events = source.parser(MakeDelivery(body, source.headers));
    ASSERT_FALSE(events.ok()) << source.name;
    EXPECT_THAT(Message(events.status()), Not(HasSubstr("SECRET-MARKER"))) << source.name;
    EXPECT_THAT(Message(events.status()), HasSubstr("not valid JSON")) << source.name;
  }
}

struct WrongTypeCase {
  std::string source;
  std::string body;
  std::string reason;  // a substring of the message
};

void PrintTo(const WrongTypeCase& c, std::ostream* os) { *os << c.source << ": " << c.body; }

class WrongTypeTest : public ::testing::TestWithParam<WrongTypeCase> {};

TEST_P(WrongTypeTest, IsInvalidArgumentNamingTheField) {
  const WrongTypeCase& c = GetParam();
  const Source* source = nullptr;
  for (const Source& s : Sources()) {
    if (s.name == c.source) source = &s;
  }
  ASSERT_NE(source, nullptr);
  absl::StatusOr<std::vector<RepositoryEvent>> events = source->parser(MakeDelivery(c.body, source->headers));
  ASSERT_FALSE(events.ok()) << "accepted";
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(events.status()), HasSubstr(c.reason));
}

constexpr char kManifest[] = "application/vnd.oci.image.manifest.v1+json";

std::string DistributionPush(const std::string& target) {
  return R"({"events":[{"action":"push","target":)" + target + "}]}";
}

INSTANTIATE_TEST_SUITE_P(
    Fields, WrongTypeTest,
    ::testing::Values(
        WrongTypeCase{"distribution", R"({})", "events is missing"},
        WrongTypeCase{"distribution", R"({"events":{}})", "events must be an array"},
        WrongTypeCase{"distribution", R"({"events":[1]})", "events[0] must be an object"},
        WrongTypeCase{"distribution", R"({"events":[{"action":["push"]}]})", "events[0].action must be a string"},
        WrongTypeCase{"distribution", R"({"events":[{"action":"push"}]})", "events[0].target is missing"},
        WrongTypeCase{"distribution", DistributionPush(R"("x")"), "events[0].target must be an object"},
        WrongTypeCase{"distribution",
                      DistributionPush(std::string(R"({"mediaType":")") + kManifest +
                                       R"(","repository":5,"url":"https://r.example/v2/a/manifests/x"})"),
                      "events[0].target.repository must be a string"},
        WrongTypeCase{"distribution",
                      DistributionPush(std::string(R"({"mediaType":")") + kManifest +
                                       R"(","repository":"a","tag":1,"url":"https://r.example/v2/a/manifests/x"})"),
                      "events[0].target.tag must be a string"},
        WrongTypeCase{"distribution",
                      DistributionPush(std::string(R"({"mediaType":")") + kManifest +
                                       R"(","repository":"Team/App","url":"https://r.example/v2/a/manifests/x"})"),
                      "must be lowercase"},
        WrongTypeCase{"distribution",
                      DistributionPush(std::string(R"({"mediaType":")") + kManifest +
                                       R"(","repository":"a","tag":"-bad","url":"https://r.example/v2/a/manifests/x"})"),
                      "is not a valid tag"},
        WrongTypeCase{"distribution", DistributionPush(std::string(R"({"mediaType":")") + kManifest +
                                                       R"(","repository":"a"})"),
                      "names no registry host"},
        WrongTypeCase{"distribution", R"({"events":[{"action":"push","target":{"mediaType":")" +
                                          std::string(kManifest) + R"(","repository":"a"},"request":{"host":7}}]})",
                      "events[0].request.host must be a string"},
        WrongTypeCase{"gitlab", R"({"events":"push"})", "events must be an array"},
        WrongTypeCase{"harbor", R"({})", "type is missing"},
        WrongTypeCase{"harbor", R"({"type":5})", "type must be a string"},
        WrongTypeCase{"harbor", R"({"type":"PUSH_ARTIFACT"})", "event_data is missing"},
        WrongTypeCase{"harbor", R"({"type":"PUSH_ARTIFACT","event_data":[]})", "event_data must be an object"},
        WrongTypeCase{"harbor", R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":1}}})",
                      "event_data.repository.repo_full_name must be a string"},
        WrongTypeCase{"harbor",
                      R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"a/b"},"resources":{}}})",
                      "event_data.resources must be an array"},
        WrongTypeCase{"harbor",
                      R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"a/b"},"resources":[]}})",
                      "event_data.resources is empty"},
        WrongTypeCase{"harbor",
                      R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"a/b"},)"
                      R"("resources":[{"resource_url":"nohost","tag":"v1"}]}})",
                      "resource_url names no registry host"},
        WrongTypeCase{"harbor",
                      R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"a/b"},)"
                      R"("resources":[{"resource_url":"h.example/a/b:v1","tag":["v1"]}]}})",
                      "event_data.resources[0].tag must be a string"},
        WrongTypeCase{"dockerhub", R"({})", "repository is missing"},
        WrongTypeCase{"dockerhub", R"({"repository":"x"})", "repository must be an object"},
        WrongTypeCase{"dockerhub", R"({"repository":{"repo_name":7}})", "repository.repo_name must be a string"},
        WrongTypeCase{"dockerhub", R"({"repository":{"repo_name":"a/b"},"push_data":{"tag":1}})",
                      "push_data.tag must be a string"},
        WrongTypeCase{"dockerhub", R"({"repository":{"repo_name":"Team/App"}})", "must be lowercase"},
        WrongTypeCase{"quay", R"({"updated_tags":"latest","docker_url":"quay.io/a/b"})",
                      "updated_tags must be an array"},
        WrongTypeCase{"quay", R"({"updated_tags":[1],"docker_url":"quay.io/a/b"})",
                      "updated_tags[0] must be a string"},
        WrongTypeCase{"quay", R"({"updated_tags":["latest"]})", "docker_url is missing"},
        WrongTypeCase{"quay", R"({"updated_tags":["latest"],"docker_url":5})", "docker_url must be a string"},
        WrongTypeCase{"quay", R"({"updated_tags":["latest"],"docker_url":"quay.io"})",
                      "docker_url is not host/namespace/repository"},
        WrongTypeCase{"github", R"({"action":1})", "action must be a string"},
        WrongTypeCase{"github", R"({"action":"published"})", "package is missing"},
        WrongTypeCase{"github", R"({"action":"published","package":"x"})", "package must be an object"},
        WrongTypeCase{"github", R"({"action":"published","package":{"package_type":"CONTAINER","name":5}})",
                      "package.name must be a string"},
        WrongTypeCase{"github", R"({"action":"published","package":{"package_type":"CONTAINER","name":"app"}})",
                      "package.namespace is missing"},
        WrongTypeCase{"github",
                      R"({"action":"published","package":{"package_type":"CONTAINER","name":"app",)"
                      R"("owner":{"login":"o"},"package_version":{"container_metadata":{"tag":{"name":3}}}}})",
                      "package.package_version.container_metadata.tag.name must be a string"},
        WrongTypeCase{"github", R"({"action":"published","package":{"package_type":"CONTAINER","name":"a b",)"
                                R"("owner":{"login":"o"}}})",
                      "invalid path component"},
        WrongTypeCase{"generic", R"({})", "registry is missing"},
        WrongTypeCase{"generic", R"({"registry":"r.example"})", "repository is missing"},
        WrongTypeCase{"generic", R"({"registry":5,"repository":"a"})", "registry must be a string"},
        WrongTypeCase{"generic", R"({"registry":"https://r.example","repository":"a"})", "has an invalid port"},
        WrongTypeCase{"generic", R"({"registry":"r.example","repository":"a","tag":true})", "tag must be a string"},
        WrongTypeCase{"generic", R"({"events":{}})", "events must be an array"},
        WrongTypeCase{"generic", R"({"events":[{"registry":"r.example","repository":"A"}]})",
                      "events[0]: reference"},
        WrongTypeCase{"generic", R"({"events":[{"registry":"r.example"}]})", "events[0].repository is missing"}));

}  // namespace
}  // namespace werf::webhook
