// CloudEvents: the three HTTP modes, required attributes, and the data shapes
// (ECR via EventBridge, Harbor, a distribution envelope, the generic shape).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/webhook/cloudevents.h"
#include "libs/webhook/test_util.h"

namespace werf::webhook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::werf::status_testing::Message;
using testing::Event;
using testing::MakeDelivery;
using testing::ReadTestdata;

const std::map<std::string, std::string> kStructured = {{"content-type", "application/cloudevents+json; charset=UTF-8"}};

std::string Structured(const std::string& type, const std::string& data_member) {
  return R"({"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext","type":")" + type + R"(")" +
         (data_member.empty() ? "" : "," + data_member) + "}";
}

const RepositoryEvent kEcrEvent = Event("123456789012.dkr.ecr.us-west-2.amazonaws.com", "my-repository-name", "latest");

TEST(CloudEventsTest, EcrEventBridgeEventAsData) {
  const std::string ecr = ReadTestdata("ecr_eventbridge_push.json");
  ASSERT_OK_AND_ASSIGN(
      std::vector<RepositoryEvent> events,
      ParseCloudEvents(MakeDelivery(Structured("aws.ecr.image.action", R"("datacontenttype":"application/json","data":)" + ecr),
                                    kStructured)));
  EXPECT_THAT(events, ElementsAre(kEcrEvent));
}

TEST(CloudEventsTest, EcrEventBridgeEventInBinaryMode) {
  ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events,
                       ParseCloudEvents(MakeDelivery(ReadTestdata("ecr_eventbridge_push.json"),
                                                     {{"ce-specversion", "1.0"},
                                                      {"ce-id", "13cde686-328b-6117-af20-0e5566167482"},
                                                      {"ce-source", "aws.ecr"},
                                                      {"ce-type", "ECR Image Action"},
                                                      {"content-type", "application/json"}})));
  EXPECT_THAT(events, ElementsAre(kEcrEvent));
}

TEST(CloudEventsTest, EcrDataAsBase64AndAsString) {
  const std::string ecr = ReadTestdata("ecr_eventbridge_push.json");
  ASSERT_OK_AND_ASSIGN(
      std::vector<RepositoryEvent> events,
      ParseCloudEvents(MakeDelivery(Structured("t", R"("data_base64":")" + absl::Base64Escape(ecr) + R"(")"), kStructured)));
  EXPECT_THAT(events, ElementsAre(kEcrEvent));
  std::string quoted = R"("data":")" + absl::CEscape(ecr) + R"(")";
  ASSERT_OK_AND_ASSIGN(events, ParseCloudEvents(MakeDelivery(Structured("t", quoted), kStructured)));
  EXPECT_THAT(events, ElementsAre(kEcrEvent));
}

TEST(CloudEventsTest, EcrOtherActionsNameNothing) {
  for (const std::string& detail : {
           std::string(R"("detail-type":"ECR Image Action","detail":{"result":"SUCCESS","action-type":"DELETE",)"
                       R"("repository-name":"r","image-tag":"t"})"),
           std::string(R"("detail-type":"ECR Image Action","detail":{"result":"FAILURE","action-type":"PUSH",)"
                       R"("repository-name":"r","image-tag":"t"})"),
           std::string(R"("detail-type":"ECR Image Scan","detail":{"scan-status":"COMPLETE"})"),
       }) {
    const std::string body = R"({"version":"0","source":"aws.ecr","account":"123456789012","region":"us-west-2",)" +
                             detail + "}";
    ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events, ParseCloudEvents(MakeDelivery(body)));
    EXPECT_THAT(events, IsEmpty()) << detail;
  }
}

TEST(CloudEventsTest, EcrChinaRegion) {
  const std::string body =
      R"({"detail-type":"ECR Image Action","account":"123456789012","region":"cn-north-1",)"
      R"("detail":{"result":"SUCCESS","action-type":"PUSH","repository-name":"team/app"}})";
  ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events, ParseCloudEvents(MakeDelivery(body)));
  EXPECT_THAT(events, ElementsAre(Event("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "team/app")));
}

TEST(CloudEventsTest, EcrMissingAccountIsInvalid) {
  const std::string body = R"({"detail-type":"ECR Image Action","region":"us-west-2",)"
                           R"("detail":{"result":"SUCCESS","action-type":"PUSH","repository-name":"team/app"}})";
  absl::StatusOr<std::vector<RepositoryEvent>> events = ParseCloudEvents(MakeDelivery(body));
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(Message(events.status()), HasSubstr("account is missing"));
}

TEST(CloudEventsTest, DistributionEnvelopeAsData) {
  const std::string body = Structured("registry.push", R"("data":)" + ReadTestdata("gitlab_push.json"));
  ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events, ParseCloudEvents(MakeDelivery(body, kStructured)));
  EXPECT_THAT(events, ElementsAre(Event("registry.test:5000", "root/test", "latest")));
}

TEST(CloudEventsTest, GenericDataAndBatch) {
  const std::string one = Structured("com.example.pushed", R"("data":{"registry":"r.example","repository":"a/b","tag":"v1"})");
  const std::string two = Structured("com.example.pushed", R"("data":{"events":[{"registry":"r.example","repository":"c"}]})");
  ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events, ParseCloudEvents(MakeDelivery(one, kStructured)));
  EXPECT_THAT(events, ElementsAre(Event("r.example", "a/b", "v1")));
  ASSERT_OK_AND_ASSIGN(events, ParseCloudEvents(MakeDelivery("[" + one + "," + two + "," + one + "]",
                                                             {{"content-type", "application/cloudevents-batch+json"}})));
  EXPECT_THAT(events, ElementsAre(Event("r.example", "a/b", "v1"), Event("r.example", "c")));
  ASSERT_OK_AND_ASSIGN(events, ParseCloudEvents(MakeDelivery("[]", {{"content-type", "application/cloudevents-batch+json"}})));
  EXPECT_THAT(events, IsEmpty());
}

TEST(CloudEventsTest, StructuredWithoutCloudEventsContentType) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<RepositoryEvent> events,
      ParseCloudEvents(MakeDelivery(Structured("x", R"("data":{"registry":"r.example","repository":"a"})"),
                                    {{"content-type", "application/json"}})));
  EXPECT_THAT(events, ElementsAre(Event("r.example", "a")));
}

TEST(CloudEventsTest, HarborCloudEvent) {
  const std::string body = Structured(
      "harbor.artifact.pushed",
      R"("data":{"resources":[{"tag":"1.0","resource_url":"harbor-cloudevents.example/myapp/app:1.0"}],)"
      R"("repository":{"repo_full_name":"myapp/app"}})");
  ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events, ParseCloudEvents(MakeDelivery(body, kStructured)));
  EXPECT_THAT(events, ElementsAre(Event("harbor-cloudevents.example", "myapp/app", "1.0")));
}

TEST(CloudEventsTest, UnknownDataNamesNothing) {
  for (const std::string& data : {std::string(R"("data":{"orderId":"O-28964"})"), std::string(R"("data":[1,2])"),
                                  std::string(R"("datacontenttype":"text/plain","data":"hello")"), std::string()}) {
    ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events,
                         ParseCloudEvents(MakeDelivery(Structured("com.example.other", data), kStructured)));
    EXPECT_THAT(events, IsEmpty()) << data;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<RepositoryEvent> events,
                       ParseCloudEvents(MakeDelivery("<much wow=\"xml\"/>", {{"ce-specversion", "1.0"},
                                                                             {"ce-id", "1"},
                                                                             {"ce-source", "/s"},
                                                                             {"ce-type", "t"},
                                                                             {"content-type", "text/xml"}})));
  EXPECT_THAT(events, IsEmpty());
}

struct MissingCase {
  std::string body;
  std::map<std::string, std::string> headers;
  std::string reason;
};

void PrintTo(const MissingCase& c, std::ostream* os) { *os << c.reason; }

class MissingAttributeTest : public ::testing::TestWithParam<MissingCase> {};

TEST_P(MissingAttributeTest, IsInvalidArgumentNamingIt) {
  const MissingCase& c = GetParam();
  absl::StatusOr<std::vector<RepositoryEvent>> events = ParseCloudEvents(MakeDelivery(c.body, c.headers));
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(events.status()), HasSubstr(c.reason));
}

const std::map<std::string, std::string> kBinary = {
    {"ce-specversion", "1.0"}, {"ce-id", "1"}, {"ce-source", "/s"}, {"ce-type", "t"}};

std::map<std::string, std::string> Without(std::map<std::string, std::string> headers, const std::string& name) {
  headers.erase(name);
  return headers;
}

INSTANTIATE_TEST_SUITE_P(
    Attributes, MissingAttributeTest,
    ::testing::Values(
        MissingCase{R"({"id":"1","source":"/s","type":"t"})", kStructured, "CloudEvent attribute specversion is missing"},
        MissingCase{R"({"specversion":"1.0","source":"/s","type":"t"})", kStructured, "CloudEvent attribute id is missing"},
        MissingCase{R"({"specversion":"1.0","id":"1","type":"t"})", kStructured,
                    "CloudEvent attribute source is missing"},
        MissingCase{R"({"specversion":"1.0","id":"1","source":"/s"})", kStructured,
                    "CloudEvent attribute type is missing"},
        MissingCase{R"({"specversion":"1.0","id":"","source":"/s","type":"t"})", kStructured,
                    "CloudEvent attribute id is missing"},
        MissingCase{R"({"specversion":1.0,"id":"1","source":"/s","type":"t"})", kStructured,
                    "CloudEvent attribute specversion must be a string"},
        MissingCase{R"({"specversion":"0.3","id":"1","source":"/s","type":"t"})", kStructured,
                    "CloudEvent attribute specversion must be \"1.0\""},
        MissingCase{R"({"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"%%%"})", kStructured,
                    "data_base64 is not base64"},
        MissingCase{R"({"registry":"r.example","repository":"a"})", {{"content-type", "application/json"}},
                    "CloudEvent attribute specversion is missing"},
        MissingCase{"[1]", {{"content-type", "application/json"}}, "CloudEvent attribute specversion is missing"},
        MissingCase{"[1]", {{"content-type", "application/cloudevents-batch+json"}}, "[0] the CloudEvent"},
        MissingCase{R"([{"specversion":"1.0","id":"1","source":"/s"}])",
                    {{"content-type", "application/cloudevents-batch+json"}}, "[0] CloudEvent attribute type is missing"},
        MissingCase{"{}", {{"content-type", "application/cloudevents-batch+json"}}, "must be a JSON array"},
        MissingCase{"{}", Without(kBinary, "ce-id"), "ce-id header is missing (CloudEvent attribute id)"},
        MissingCase{"{}", Without(kBinary, "ce-source"), "ce-source header is missing"},
        MissingCase{"{}", Without(kBinary, "ce-type"), "ce-type header is missing"},
        MissingCase{R"({"registry":"r.example"})", kBinary, "data: repository is missing"},
        MissingCase{"{", kBinary, "data: body is not valid JSON"},
        MissingCase{Structured("t", R"("data":{"registry":"r.example","repository":"A"})"), kStructured,
                    "data: reference"}));

}  // namespace
}  // namespace werf::webhook
