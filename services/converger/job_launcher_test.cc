// JobLauncher against the fake API server: what it writes and in which order, when it
// adopts what is there instead, what it refuses to touch, and what its errors name.
#include "services/converger/job_launcher.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "libs/hub/job_labels.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::converger {
namespace {

using kube::testing::ApiError;
using kube::testing::FakeRestClient;
using kube::testing::Verb;
using nlohmann::json;
using status_testing::Message;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kJobName[] = "shop-a-0123456789";
constexpr char kTarget[] = "team-a";

pb::ConvergeRequest Request(bool with_values = true) {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_("team-a");
  request.mutable_bundle()->set_name("shop");
  request.mutable_bundle()->set_uid("uid-1");
  request.set_kind(pb::JOB_KIND_APPLY);
  request.set_repository("registry.example.com/team/shop");
  request.set_tag("1.4.2");
  request.set_digest("sha256:abc");
  request.set_release("shop-release");
  request.set_target_namespace(kTarget);
  request.set_service_account_name("werf-deploy");
  request.mutable_timeout()->set_seconds(600);
  request.set_log_retention_days(7);
  request.set_job_name(kJobName);
  if (with_values) {
    pb::ValuesSource* source = request.add_values_from();
    source->set_kind(pb::VALUES_SOURCE_KIND_CONFIG_MAP);
    source->mutable_object()->set_name("shop-values");
  }
  return request;
}

json BundleLabels(const std::string& bundle_ns = "team-a", const std::string& bundle = "shop",
                  const std::string& managed_by = std::string(hub::kManagedByValue)) {
  return {{std::string(hub::kLabelManagedBy), managed_by},
          {std::string(hub::kLabelBundleNamespace), bundle_ns},
          {std::string(hub::kLabelBundle), bundle}};
}

json Object(const std::string& kind, json labels, const std::string& uid = "") {
  json object = {{"apiVersion", kind == "Job" ? "batch/v1" : "v1"},
                 {"kind", kind},
                 {"metadata", {{"name", kJobName}, {"namespace", kTarget}, {"labels", std::move(labels)}}}};
  if (!uid.empty()) object["metadata"]["uid"] = uid;
  return object;
}

// "verb resource" of every request, in order.
std::vector<std::string> Calls(const FakeRestClient& fake) {
  std::vector<std::string> calls;
  for (const kube::testing::Request& request : fake.requests()) {
    calls.push_back(absl::StrCat(kube::testing::VerbName(request.verb), " ", request.resource));
  }
  return calls;
}

// The uids of the Secret's owners, or nullopt when there is no Secret.
std::optional<std::vector<std::string>> SecretOwners(const FakeRestClient& fake) {
  const std::optional<json> secret = fake.Object(kube::resources::kSecrets, kTarget, kJobName);
  if (!secret.has_value()) return std::nullopt;
  std::vector<std::string> uids;
  for (const json& owner : (*secret)["metadata"].value("ownerReferences", json::array())) {
    uids.push_back(owner.value("uid", ""));
  }
  return uids;
}

// The fake, with Create of Jobs (only) answering `error`: the Secret is created first
// with the same verb, which FakeRestClient::FailNext cannot tell apart.
class JobCreateFails final : public kube::RestClient {
 public:
  JobCreateFails(std::shared_ptr<FakeRestClient> fake, absl::Status error)
      : fake_(std::move(fake)), error_(std::move(error)) {}

  absl::StatusOr<json> Get(const kube::Resource& r, absl::string_view ns, absl::string_view name,
                           absl::string_view sub) override {
    return fake_->Get(r, ns, name, sub);
  }
  absl::StatusOr<kube::ListResult> List(const kube::Resource& r, absl::string_view ns,
                                        const kube::ListOptions& options) override {
    return fake_->List(r, ns, options);
  }
  absl::StatusOr<json> Create(const kube::Resource& r, absl::string_view ns, const json& object) override {
    if (r.DisplayName() == kube::resources::kJobs.DisplayName()) return error_;
    return fake_->Create(r, ns, object);
  }
  absl::StatusOr<json> Update(const kube::Resource& r, absl::string_view ns, const json& object,
                              absl::string_view sub) override {
    return fake_->Update(r, ns, object, sub);
  }
  absl::StatusOr<json> Patch(const kube::Resource& r, absl::string_view ns, absl::string_view name,
                             kube::PatchType type, const json& patch, absl::string_view sub) override {
    return fake_->Patch(r, ns, name, type, patch, sub);
  }
  absl::StatusOr<json> Apply(const kube::Resource& r, absl::string_view ns, absl::string_view name,
                             const json& object, absl::string_view manager, bool force,
                             absl::string_view sub) override {
    return fake_->Apply(r, ns, name, object, manager, force, sub);
  }
  absl::Status Delete(const kube::Resource& r, absl::string_view ns, absl::string_view name,
                      const kube::DeleteOptions& options) override {
    return fake_->Delete(r, ns, name, options);
  }
  absl::Status Watch(const kube::Resource& r, absl::string_view ns, const kube::WatchOptions& options,
                     const std::function<bool(absl::string_view)>& on_chunk,
                     const std::atomic<bool>* stop) override {
    return fake_->Watch(r, ns, options, on_chunk, stop);
  }
  absl::StatusOr<std::string> PodLogs(absl::string_view ns, absl::string_view pod, absl::string_view container,
                                      int tail_lines, int64_t limit_bytes) override {
    return fake_->PodLogs(ns, pod, container, tail_lines, limit_bytes);
  }
  absl::StatusOr<json> Call(absl::string_view method, absl::string_view path, const json* body,
                            absl::string_view content_type) override {
    return fake_->Call(method, path, body, content_type);
  }
  const kube::ClusterConfig& config() const override { return fake_->config(); }
  int64_t requests_sent() const override { return fake_->requests_sent(); }

 private:
  const std::shared_ptr<FakeRestClient> fake_;
  const absl::Status error_;
};

class JobLauncherTest : public ::testing::Test {
 protected:
  JobLauncherTest() {
    fake_->Seed(kube::resources::kConfigMaps,
                {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "shop-values"}, {"namespace", "team-a"}}},
                 {"data", {{"values.yaml", "replicas: 3\n"}}}});
  }

  absl::StatusOr<LaunchResult> Launch(const pb::ConvergeRequest& request = Request()) {
    return JobLauncher(fake_, JobBuilderOptions{}).Launch(request, kJobName);
  }

  std::shared_ptr<FakeRestClient> fake_ = std::make_shared<FakeRestClient>();
};

TEST_F(JobLauncherTest, WritesTheSecretThenTheJobAndMakesTheJobOwnTheSecret) {
  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_TRUE(result.created);
  const std::string uid = result.job["metadata"]["uid"];
  EXPECT_FALSE(uid.empty()) << "the Job as the server returned it";
  EXPECT_EQ(*fake_->Object(kube::resources::kJobs, kTarget, kJobName), result.job);

  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch", "get configmaps", "create secrets", "create jobs.batch",
                                         "get secrets", "patch secrets"));
  const std::optional<json> secret = fake_->Object(kube::resources::kSecrets, kTarget, kJobName);
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ((*secret)["data"]["values-0.yaml"], absl::Base64Escape("replicas: 3\n"));
  const json& owners = (*secret)["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]["kind"], "Job");
  EXPECT_EQ(owners[0]["name"], kJobName);
  EXPECT_EQ(owners[0]["uid"], uid);
  EXPECT_EQ(owners[0]["controller"], true);
}

TEST_F(JobLauncherTest, ARequestThatNeedsNoFilesMakesNoSecret) {
  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch(Request(/*with_values=*/false)));
  EXPECT_TRUE(result.created);
  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch", "create jobs.batch"));
  EXPECT_FALSE(fake_->Object(kube::resources::kSecrets, kTarget, kJobName).has_value());
}

TEST_F(JobLauncherTest, AdoptsTheJobOfThisBundleAsItIsAndOwnsItsSecret) {
  const json job = fake_->Seed(kube::resources::kJobs, Object("Job", BundleLabels(), "job-uid-1"));
  fake_->Seed(kube::resources::kSecrets, Object("Secret", BundleLabels()));

  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.job, job);
  // Neither the inputs are read nor anything created: the Job has what it had.
  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch", "get secrets", "patch secrets"));
  EXPECT_EQ(SecretOwners(*fake_), std::vector<std::string>{"job-uid-1"});
}

TEST_F(JobLauncherTest, AdoptingLeavesASecretAlreadyOwnedByTheJobAlone) {
  fake_->Seed(kube::resources::kJobs, Object("Job", BundleLabels(), "job-uid-1"));
  json secret = Object("Secret", BundleLabels());
  secret["metadata"]["ownerReferences"] = json::array({{{"kind", "Job"}, {"name", kJobName}, {"uid", "job-uid-1"}}});
  fake_->Seed(kube::resources::kSecrets, secret);

  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_FALSE(result.created);
  EXPECT_THAT(fake_->requests(Verb::kPatch), IsEmpty());
}

TEST_F(JobLauncherTest, AdoptingNeverTakesOverASecretWithoutTheOperatorsLabel) {
  fake_->Seed(kube::resources::kJobs, Object("Job", BundleLabels(), "job-uid-1"));
  fake_->Seed(kube::resources::kSecrets, Object("Secret", json::object()));

  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_FALSE(result.created);
  EXPECT_THAT(fake_->requests(Verb::kPatch), IsEmpty());
  EXPECT_EQ(SecretOwners(*fake_), std::vector<std::string>{});
}

TEST_F(JobLauncherTest, AdoptsEvenWhenTheSecretCannotBeOwned) {
  // The Job runs regardless; the ownership is retried on the next adoption.
  fake_->Seed(kube::resources::kJobs, Object("Job", BundleLabels(), "job-uid-1"));
  fake_->Seed(kube::resources::kSecrets, Object("Secret", BundleLabels()));
  fake_->FailNext(Verb::kPatch, ApiError(403, "Forbidden"));

  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_FALSE(result.created);
  EXPECT_EQ(SecretOwners(*fake_), std::vector<std::string>{});
}

struct ForeignJobCase {
  std::string name;
  json labels;
};

class ForeignJobTest : public JobLauncherTest, public ::testing::WithParamInterface<ForeignJobCase> {};

TEST_P(ForeignJobTest, IsRefusedByNameAndLeftAlone) {
  const json job = fake_->Seed(kube::resources::kJobs, Object("Job", GetParam().labels, "theirs"));

  const absl::StatusOr<LaunchResult> result = Launch();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_THAT(Message(result.status()),
              HasSubstr("Job \"shop-a-0123456789\" in namespace \"team-a\" exists but is not a werf-operator "
                        "object of this bundle"));
  EXPECT_THAT(Message(result.status()), HasSubstr("delete or rename it"));
  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch"));
  EXPECT_EQ(*fake_->Object(kube::resources::kJobs, kTarget, kJobName), job);
}

INSTANTIATE_TEST_SUITE_P(
    Labels, ForeignJobTest,
    ::testing::Values(ForeignJobCase{"NoLabels", json::object()},
                      ForeignJobCase{"ManagedBySomeoneElse", BundleLabels("team-a", "shop", "helm")},
                      ForeignJobCase{"OtherBundle", BundleLabels("team-a", "cart")},
                      ForeignJobCase{"SameBundleNameInOtherNamespace", BundleLabels("team-b", "shop")}),
    [](const ::testing::TestParamInfo<ForeignJobCase>& info) { return info.param.name; });

TEST_F(JobLauncherTest, AJobReadErrorOtherThanNotFoundNamesTheJobAndWritesNothing) {
  fake_->FailNext(Verb::kGet, ApiError(403, "Forbidden", "jobs.batch \"shop-a-0123456789\" is forbidden"));

  const absl::StatusOr<LaunchResult> result = Launch();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied) << result.status();
  EXPECT_TRUE(kube::IsApiForbidden(result.status())) << "the context added keeps the API error's payloads";
  EXPECT_THAT(Message(result.status()), HasSubstr("reading Job team-a/shop-a-0123456789: "));
  EXPECT_THAT(Message(result.status()), HasSubstr("is forbidden"));
  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch"));
}

TEST_F(JobLauncherTest, ReplacesThisBundlesLeftoverSecretOfAnAttemptThatDiedBeforeTheJob) {
  json leftover = Object("Secret", BundleLabels());
  leftover["data"] = {{"values-0.yaml", absl::Base64Escape("replicas: 1\n")}};
  fake_->Seed(kube::resources::kSecrets, leftover);

  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_TRUE(result.created);
  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch", "get configmaps", "create secrets", "get secrets",
                                         "update secrets", "create jobs.batch", "get secrets", "patch secrets"));
  const json secret = *fake_->Object(kube::resources::kSecrets, kTarget, kJobName);
  EXPECT_EQ(secret["data"]["values-0.yaml"], absl::Base64Escape("replicas: 3\n"));
  EXPECT_EQ(SecretOwners(*fake_), std::vector<std::string>{result.job["metadata"]["uid"].get<std::string>()});
}

TEST_F(JobLauncherTest, NeverOverwritesASecretOfThatNameThatIsNotThisBundles) {
  json theirs = Object("Secret", BundleLabels("team-a", "cart"));
  theirs["data"] = {{"password", absl::Base64Escape("hunter2")}};
  const json seeded = fake_->Seed(kube::resources::kSecrets, theirs);

  const absl::StatusOr<LaunchResult> result = Launch();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_THAT(Message(result.status()), HasSubstr("Secret \"shop-a-0123456789\" in namespace \"team-a\" exists"));
  EXPECT_THAT(Message(result.status()), HasSubstr("delete or rename it"));
  EXPECT_EQ(*fake_->Object(kube::resources::kSecrets, kTarget, kJobName), seeded);
  EXPECT_FALSE(fake_->Object(kube::resources::kJobs, kTarget, kJobName).has_value());
}

TEST_F(JobLauncherTest, ASecretCreateErrorNamesTheSecretAndCreatesNoJob) {
  fake_->FailNext(Verb::kCreate, ApiError(403, "Forbidden", "cannot create resource \"secrets\""));

  const absl::StatusOr<LaunchResult> result = Launch();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied) << result.status();
  EXPECT_TRUE(kube::IsApiForbidden(result.status())) << "the context added keeps the API error's payloads";
  EXPECT_THAT(Message(result.status()), HasSubstr("creating Secret team-a/shop-a-0123456789: "));
  EXPECT_THAT(Message(result.status()), HasSubstr("cannot create resource \"secrets\""));
  EXPECT_FALSE(fake_->Object(kube::resources::kJobs, kTarget, kJobName).has_value());
}

TEST_F(JobLauncherTest, AJobCreateErrorNamesTheJobAndRemovesTheSecretNothingWouldOwn) {
  JobLauncher launcher(std::make_shared<JobCreateFails>(
                           fake_, ApiError(403, "Forbidden", "cannot create resource \"jobs\" in API group \"batch\"")),
                       JobBuilderOptions{});

  const absl::StatusOr<LaunchResult> result = launcher.Launch(Request(), kJobName);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied) << result.status();
  EXPECT_TRUE(kube::IsApiForbidden(result.status())) << "the context added keeps the API error's payloads";
  EXPECT_THAT(Message(result.status()), HasSubstr("creating Job team-a/shop-a-0123456789: "));
  EXPECT_THAT(Message(result.status()), HasSubstr("cannot create resource \"jobs\""));
  EXPECT_FALSE(fake_->Object(kube::resources::kSecrets, kTarget, kJobName).has_value())
      << "no credentials left behind";
  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch", "get configmaps", "create secrets", "delete secrets"));
}

TEST_F(JobLauncherTest, AJobCreatedConcurrentlyIsAdoptedAndOwnsTheSecret) {
  // Our read misses the Job that another attempt creates before our create.
  const json raced = fake_->Seed(kube::resources::kJobs, Object("Job", BundleLabels(), "raced-uid"));
  fake_->FailNext(Verb::kGet, ApiError(404, "NotFound"));

  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.job, raced);
  EXPECT_EQ(*fake_->Object(kube::resources::kJobs, kTarget, kJobName), raced) << "left untouched";
  EXPECT_THAT(Calls(*fake_), ElementsAre("get jobs.batch", "get configmaps", "create secrets", "create jobs.batch",
                                         "get jobs.batch", "get secrets", "patch secrets"));
  EXPECT_EQ(SecretOwners(*fake_), std::vector<std::string>{"raced-uid"});
}

TEST_F(JobLauncherTest, AForeignJobCreatedConcurrentlyIsRefused) {
  fake_->Seed(kube::resources::kJobs, Object("Job", json::object(), "theirs"));
  fake_->FailNext(Verb::kGet, ApiError(404, "NotFound"));

  const absl::StatusOr<LaunchResult> result = Launch(Request(/*with_values=*/false));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_THAT(Message(result.status()), HasSubstr("Job \"shop-a-0123456789\" in namespace \"team-a\" exists"));
}

TEST_F(JobLauncherTest, TheSecretStillNeedingAnOwnerDoesNotFailACreatedJob) {
  fake_->FailNext(Verb::kPatch, ApiError(403, "Forbidden"));

  ASSERT_OK_AND_ASSIGN(const LaunchResult result, Launch());
  EXPECT_TRUE(result.created);
  EXPECT_EQ(SecretOwners(*fake_), std::vector<std::string>{});
}

TEST_F(JobLauncherTest, AnInvalidRequestWritesNothing) {
  pb::ConvergeRequest request = Request();
  request.clear_service_account_name();

  const absl::StatusOr<LaunchResult> result = Launch(request);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_THAT(Message(result.status()), HasSubstr("service_account_name"));
  EXPECT_THAT(fake_->requests(Verb::kCreate), IsEmpty());
}

TEST_F(JobLauncherTest, AMissingRequiredValuesSourceWritesNothing) {
  pb::ConvergeRequest request = Request();
  request.mutable_values_from(0)->mutable_object()->set_name("absent");

  const absl::StatusOr<LaunchResult> result = Launch(request);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_THAT(Message(result.status()), HasSubstr("\"absent\""));
  EXPECT_THAT(fake_->requests(Verb::kCreate), IsEmpty());
}

}  // namespace
}  // namespace werf::converger
