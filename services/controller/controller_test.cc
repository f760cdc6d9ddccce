// The whole controller (informers, workqueue, reconcile, status writes, finalizer,
// Events, the hub) on the in-memory API server (libs/kube/testing/fake_rest_client.h):
// what README.md and docs/design.md promise a person sees in a WerfBundle's status,
// without a test bed. Each test waits for the status it expects with a deadline; none
// sleeps and then looks.
#include "services/controller/controller.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/common/grpc_server.h"
#include "libs/common/testing/status_testing.h"
#include "libs/hub/hub_service.h"
#include "libs/hub/job_labels.h"
#include "libs/hub/testing/fake_hub_worker.h"
#include "libs/kube/api_error.h"
#include "libs/kube/resource.h"
#include "libs/kube/testing/fake_rest_client.h"

namespace werf::controller {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using ::werf::hub::testing::FakeHubWorker;

constexpr char kNamespace[] = "prod";
constexpr char kRepository[] = "registry.example.com/apps/web";
constexpr char kFinalizer[] = "werf.io/cleanup";
constexpr absl::Duration kDeadline = absl::Seconds(10);

// A valid WerfBundle in kNamespace deploying into its own namespace as "deployer"
// (the shape of test/integration/e2e's bundles); `edit` changes it.
json Bundle(const std::string& name, const std::function<void(json&)>& edit = {}) {
  json bundle = {{"apiVersion", "werf.io/v1alpha1"},
                 {"kind", "WerfBundle"},
                 {"metadata", {{"name", name}, {"namespace", kNamespace}}},
                 {"spec",
                  {{"registry", {{"url", kRepository}, {"pollInterval", "1m"}, {"versionConstraint", "<2"}}},
                   {"converge", {{"serviceAccountName", "deployer"}}}}}};
  if (edit) edit(bundle);
  return bundle;
}

// The condition of `type` in the bundle's status, or an empty object.
json Condition(const json& bundle, const std::string& type) {
  const json status = bundle.value("status", json::object());
  for (const json& condition : status.value("conditions", json::array())) {
    if (condition.value("type", "") == type) return condition;
  }
  return json::object();
}

bool HasFinalizer(const json& bundle) {
  const json finalizers = bundle["metadata"].value("finalizers", json::array());
  return std::find(finalizers.begin(), finalizers.end(), kFinalizer) != finalizers.end();
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_->Seed(kube::resources::kNamespaces,
                {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNamespace}}}});
    SeedServiceAccount("deployer");
  }

  void TearDown() override {
    workers_.clear();
    if (server_ != nullptr) server_->Shutdown(absl::Now() + absl::Seconds(1));
    // The controller calls into the hub until it has stopped; the hub's callbacks
    // call into the controller until the hub is gone.
    if (controller_ != nullptr) controller_->Stop();
    hub_.reset();
    controller_.reset();
  }

  void SeedServiceAccount(const std::string& name) {
    fake_->Seed(kube::resources::kServiceAccounts,
                {{"apiVersion", "v1"},
                 {"kind", "ServiceAccount"},
                 {"metadata", {{"name", name}, {"namespace", kNamespace}}}});
  }

  // Wired as services/controller/main.cc wires it: the hub made with the controller's
  // callbacks, serving once the caches have synced.
  void StartController() {
    absl::StatusOr<std::unique_ptr<Controller>> created = Controller::Create(
        fake_, {.workers = 2,
                .decide = {.recheck_interval = absl::Milliseconds(200)},
                .identity = "controller-test"});
    ASSERT_TRUE(created.ok()) << created.status();
    controller_ = *std::move(created);
    hub_ = std::make_unique<hub::HubServiceImpl>(hub::HubServiceImpl::Options{.controller_id = "controller-test"},
                                                 controller_->MakeHubCallbacks());
    controller_->SetHub(hub_.get());
    controller_->Start([this] {
      hub_->SetServing(true);
      serving_.Notify();
    });
    ASSERT_TRUE(serving_.WaitForNotificationWithTimeout(kDeadline)) << "the controller's caches never synced";
  }

  // Serves the hub on a free loopback port, for FakeHubWorkers (which answer its heartbeats,
  // so it keeps them).
  std::string ServeHub() {
    absl::StatusOr<std::unique_ptr<common::GrpcServer>> server =
        common::GrpcServer::Start({.address = "127.0.0.1:0", .services = {hub_.get()}});
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return "";
    server_ = *std::move(server);
    return server_->address().ToString();
  }

  json CreateBundle(const json& bundle) {
    absl::StatusOr<json> created = api().Create(kube::resources::kWerfBundles, kNamespace, bundle);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : json();
  }

  // The fake's copy of the bundle once `done` holds (kDeadline at most); nullopt,
  // with the last copy in the failure, when it never does.
  std::optional<json> AwaitBundle(const std::string& name, const std::function<bool(const json&)>& done) {
    const absl::Time deadline = absl::Now() + kDeadline;
    std::optional<json> bundle;
    while (true) {
      bundle = fake_->Object(kube::resources::kWerfBundles, kNamespace, name);
      if (bundle.has_value() && done(*bundle)) return bundle;
      if (absl::Now() > deadline) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ADD_FAILURE() << "WerfBundle " << kNamespace << "/" << name << " never got there; last seen: "
                  << (bundle.has_value() ? bundle->dump(2) : "nothing");
    return std::nullopt;
  }

  // An Event about the bundle with `reason` (kDeadline at most).
  std::optional<json> AwaitEvent(const std::string& bundle, const std::string& reason) {
    const absl::Time deadline = absl::Now() + kDeadline;
    while (absl::Now() < deadline) {
      for (const json& event : fake_->Objects(kube::resources::kEvents, kNamespace)) {
        if (event.value("reason", "") == reason &&
            event.value("involvedObject", json::object()).value("name", "") == bundle) {
          return event;
        }
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    ADD_FAILURE() << "no " << reason << " Event about WerfBundle " << bundle;
    return std::nullopt;
  }

  kube::RestClient& api() { return *fake_; }

  std::shared_ptr<kube::testing::FakeRestClient> fake_ = std::make_shared<kube::testing::FakeRestClient>();
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<hub::HubServiceImpl> hub_;
  std::unique_ptr<common::GrpcServer> server_;
  std::vector<std::unique_ptr<FakeHubWorker>> workers_;
  absl::Notification serving_;
};

bool ConditionIs(const json& bundle, const std::string& type, const std::string& status, const std::string& reason) {
  const json condition = Condition(bundle, type);
  return condition.value("status", "") == status && condition.value("reason", "") == reason;
}

TEST_F(ControllerTest, NewBundleGetsTheFinalizerAndWaitsForTheFirstPoll) {
  ASSERT_NO_FATAL_FAILURE(StartController());
  CreateBundle(Bundle("web"));

  // No poller has reported the repository: the bundle waits for the registry, and says so.
  std::optional<json> bundle = AwaitBundle(
      "web", [](const json& b) { return ConditionIs(b, "Reconciling", "True", "WaitingForRegistry"); });
  ASSERT_TRUE(bundle.has_value());
  EXPECT_TRUE(HasFinalizer(*bundle)) << bundle->dump(2);
  const json& status = (*bundle)["status"];
  EXPECT_EQ(status.value("observedGeneration", 0), 1);
  EXPECT_EQ(status.value("phase", ""), "Syncing");
  EXPECT_EQ(status.value("consecutiveFailures", -1), 0);
  EXPECT_FALSE(status.contains("activeJob"));
  const std::string waiting = absl::StrCat("waiting for the first poll of ", kRepository);
  EXPECT_EQ(Condition(*bundle, "Reconciling").value("message", ""), waiting);
  EXPECT_TRUE(ConditionIs(*bundle, "Ready", "False", "WaitingForRegistry"));
  EXPECT_EQ(Condition(*bundle, "Ready").value("message", ""), waiting);
  EXPECT_EQ(Condition(*bundle, "Ready").value("observedGeneration", 0), 1);
  EXPECT_TRUE(Condition(*bundle, "Stalled").empty()) << bundle->dump(2);

  // An edit of the spec is a new generation, and the status says it has seen it.
  for (int attempt = 0;; ++attempt) {
    json current = *api().Get(kube::resources::kWerfBundles, kNamespace, "web");
    current["spec"]["registry"]["versionConstraint"] = "<3";
    const absl::Status updated = api().Update(kube::resources::kWerfBundles, kNamespace, current).status();
    if (updated.ok()) break;
    ASSERT_TRUE(kube::IsApiConflict(updated) && attempt < 50) << updated;  // the controller wrote meanwhile
  }
  bundle = AwaitBundle("web", [](const json& b) {
    return b["status"].value("observedGeneration", 0) == 2 &&
           Condition(b, "Ready").value("observedGeneration", 0) == 2;
  });
  ASSERT_TRUE(bundle.has_value());
  EXPECT_EQ((*bundle)["metadata"].value("generation", 0), 2);
  EXPECT_TRUE(ConditionIs(*bundle, "Reconciling", "True", "WaitingForRegistry"));
}

TEST_F(ControllerTest, MissingServiceAccountStallsNamingItAndResumesWhenCreated) {
  ASSERT_NO_FATAL_FAILURE(StartController());
  CreateBundle(Bundle("api", [](json& b) { b["spec"]["converge"]["serviceAccountName"] = "missing-sa"; }));

  std::optional<json> bundle =
      AwaitBundle("api", [](const json& b) { return ConditionIs(b, "Stalled", "True", "MissingReference"); });
  ASSERT_TRUE(bundle.has_value());
  // README.md: conditions name the object and the fix.
  const std::string named = R"(ServiceAccount "missing-sa" not found in namespace "prod")";
  EXPECT_THAT(Condition(*bundle, "Stalled").value("message", ""), HasSubstr(named));
  EXPECT_THAT(Condition(*bundle, "Stalled").value("message", ""), HasSubstr("spec.converge.serviceAccountName"));
  EXPECT_TRUE(ConditionIs(*bundle, "Ready", "False", "MissingReference"));
  EXPECT_THAT(Condition(*bundle, "Ready").value("message", ""), HasSubstr(named));
  EXPECT_TRUE(ConditionIs(*bundle, "Reconciling", "False", "MissingReference"));
  EXPECT_EQ((*bundle)["status"].value("phase", ""), "Failed");
  EXPECT_THAT((*bundle)["status"].value("lastErrorMessage", ""), HasSubstr(named));
  EXPECT_TRUE(HasFinalizer(*bundle));
  // ... and a Warning Event says the same.
  std::optional<json> event = AwaitEvent("api", "MissingReference");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->value("type", ""), "Warning");
  EXPECT_THAT(event->value("message", ""), HasSubstr(named));

  // Creating it is noticed (the ServiceAccount informer re-enqueues the bundle): the
  // stall and its error go, and the bundle waits for the registry like any other.
  SeedServiceAccount("missing-sa");
  bundle = AwaitBundle(
      "api", [](const json& b) { return ConditionIs(b, "Reconciling", "True", "WaitingForRegistry"); });
  ASSERT_TRUE(bundle.has_value());
  EXPECT_TRUE(Condition(*bundle, "Stalled").empty()) << bundle->dump(2);
  EXPECT_EQ((*bundle)["status"].value("phase", ""), "Syncing");
  EXPECT_EQ((*bundle)["status"].value("lastErrorMessage", ""), "");
}

TEST_F(ControllerTest, InvalidSpecStallsNamingTheField) {
  struct Case {
    std::string name;
    std::function<void(json&)> edit;
    std::string message;  // after "WerfBundle prod/<name>: "
  };
  const std::vector<Case> cases = {
      {"bad-constraint", [](json& b) { b["spec"]["registry"]["versionConstraint"] = ">=1.2.3.4"; },
       "spec.registry.versionConstraint: "},
      {"bad-filter", [](json& b) { b["spec"]["registry"]["tagFilter"] = "(["; },
       R"(spec.registry.tagFilter: invalid regular expression "([")"},
      {"no-service-account", [](json& b) { b["spec"]["converge"].erase("serviceAccountName"); },
       "spec.converge.serviceAccountName: is required"},
      // Below the operator's floor (DecideOptions::min_poll_interval, 1m by default).
      {"fast-poll", [](json& b) { b["spec"]["registry"]["pollInterval"] = "1s"; },
       "spec.registry.pollInterval: 1s is below the operator's minimum 1m (--min_poll_interval)"},
  };
  ASSERT_NO_FATAL_FAILURE(StartController());
  for (const Case& c : cases) CreateBundle(Bundle(c.name, c.edit));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::optional<json> bundle =
        AwaitBundle(c.name, [](const json& b) { return ConditionIs(b, "Stalled", "True", "InvalidSpec"); });
    ASSERT_TRUE(bundle.has_value());
    const std::string prefix = absl::StrCat("WerfBundle ", kNamespace, "/", c.name, ": ", c.message);
    EXPECT_THAT(Condition(*bundle, "Stalled").value("message", ""), StartsWith(prefix));
    EXPECT_TRUE(ConditionIs(*bundle, "Ready", "False", "InvalidSpec"));
    EXPECT_EQ((*bundle)["status"].value("phase", ""), "Failed");
    EXPECT_EQ((*bundle)["status"].value("observedGeneration", 0), 1);
    EXPECT_THAT((*bundle)["status"].value("lastErrorMessage", ""), StartsWith(prefix));
    // Even an unreadable bundle is cleaned up after when deleted.
    EXPECT_TRUE(HasFinalizer(*bundle));
  }
}

TEST_F(ControllerTest, DeletingTheBundleRemovesItsJobsAndThenTheFinalizer) {
  ASSERT_NO_FATAL_FAILURE(StartController());
  const std::string uid = CreateBundle(Bundle("web"))["metadata"].value("uid", "");
  ASSERT_FALSE(uid.empty());
  ASSERT_TRUE(AwaitBundle("web", [](const json& b) { return HasFinalizer(b) && b.contains("status"); }).has_value());
  // Jobs are found by the bundle's uid label in every namespace (owner references
  // cannot cross namespaces); another bundle's Job stays.
  const auto job = [](const std::string& ns, const std::string& name, const std::string& bundle_uid) {
    return json{{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata",
                 {{"name", name},
                  {"namespace", ns},
                  {"labels", {{std::string(hub::kLabelBundleUid), bundle_uid}}}}}};
  };
  fake_->Seed(kube::resources::kJobs, job(kNamespace, "web-a-0123456789", uid));
  fake_->Seed(kube::resources::kJobs, job("elsewhere", "web-a-abcdefabcd", uid));
  fake_->Seed(kube::resources::kJobs, job(kNamespace, "other-a-0123456789", "someone-else"));

  ASSERT_TRUE(api().Delete(kube::resources::kWerfBundles, kNamespace, "web", {}).ok());
  // The finalizer holds the bundle until the controller let it go; then the API server removes it.
  const absl::Time deadline = absl::Now() + kDeadline;
  while (fake_->Object(kube::resources::kWerfBundles, kNamespace, "web").has_value() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const std::optional<json> left = fake_->Object(kube::resources::kWerfBundles, kNamespace, "web");
  ASSERT_FALSE(left.has_value()) << left->dump(2);
  EXPECT_FALSE(fake_->Object(kube::resources::kJobs, kNamespace, "web-a-0123456789").has_value());
  EXPECT_FALSE(fake_->Object(kube::resources::kJobs, "elsewhere", "web-a-abcdefabcd").has_value());
  EXPECT_TRUE(fake_->Object(kube::resources::kJobs, kNamespace, "other-a-0123456789").has_value());
  // Its Jobs went before its finalizer: once the bundle is gone nothing would find them.
  const std::vector<kube::testing::Request> requests = fake_->requests();
  size_t last_job_delete = 0;
  size_t finalizer_removed = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].verb == kube::testing::Verb::kDelete &&
        requests[i].resource == kube::resources::kJobs.DisplayName()) {
      last_job_delete = i;
    }
    if (requests[i].verb == kube::testing::Verb::kPatch &&
        requests[i].resource == kube::resources::kWerfBundles.DisplayName()) {
      finalizer_removed = i;  // the last patch of the bundle
    }
  }
  EXPECT_GT(last_job_delete, 0u);
  EXPECT_LT(last_job_delete, finalizer_removed);
}

TEST_F(ControllerTest, APolledTagIsChosenSentToAConvergerAndItsResultRecorded) {
  ASSERT_NO_FATAL_FAILURE(StartController());
  const std::string address = ServeHub();
  ASSERT_FALSE(address.empty());
  workers_.push_back(std::make_unique<FakeHubWorker>(
      address, FakeHubWorker::Options{.worker_id = "poller-1", .kind = pb::WORKER_KIND_POLLER}));
  FakeHubWorker& poller = *workers_.back();
  workers_.push_back(std::make_unique<FakeHubWorker>(
      address, FakeHubWorker::Options{.worker_id = "converger-1", .kind = pb::WORKER_KIND_CONVERGER}));
  FakeHubWorker& converger = *workers_.back();
  const absl::Time deadline = absl::Now() + kDeadline;
  while ((hub_->ConnectedWorkers(pb::WORKER_KIND_POLLER) != 1 ||
          hub_->ConnectedWorkers(pb::WORKER_KIND_CONVERGER) != 1) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(hub_->ConnectedWorkers(pb::WORKER_KIND_POLLER), 1);
  ASSERT_EQ(hub_->ConnectedWorkers(pb::WORKER_KIND_CONVERGER), 1);
  const std::string uid = CreateBundle(Bundle("web"))["metadata"].value("uid", "");

  // The hub gives the bundle's repository to the poller, at the spec's interval.
  absl::StatusOr<pb::ConnectResponse> track = poller.WaitFor(
      [](const pb::ConnectResponse& m) { return m.has_track() && m.track().repository() == kRepository; },
      kDeadline);
  ASSERT_TRUE(track.ok()) << track.status();
  const std::string key = track->track().key();
  EXPECT_EQ(google::protobuf::util::TimeUtil::DurationToSeconds(track->track().poll_interval()), 60);
  EXPECT_EQ(track->track().watched_tags_size(), 0);

  // The poller's report, as the hub delivers it: the highest under "<2" by semver
  // precedence (lexical order would say 1.9.9), and no prerelease unless asked for.
  const hub::HubCallbacks report = controller_->MakeHubCallbacks();
  pb::RepositoryObservation tags;
  tags.set_key(key);
  for (const char* tag : {"1.0.0", "1.9.9", "1.10.0", "1.11.0-rc.1", "2.0.0"}) {
    tags.mutable_tags_changed()->add_tags(tag);
  }
  report.on_repository(tags);
  std::optional<json> bundle = AwaitBundle(
      "web", [](const json& b) { return ConditionIs(b, "Reconciling", "True", "ResolvingDigest"); });
  ASSERT_TRUE(bundle.has_value());
  EXPECT_EQ((*bundle)["status"].value("latestTag", ""), "1.10.0");
  EXPECT_TRUE(ConditionIs(*bundle, "RegistryReachable", "True", "Polled"));
  EXPECT_EQ(Condition(*bundle, "RegistryReachable").value("message", ""), absl::StrCat("5 tags in ", kRepository));
  // The chosen tag is now watched for its digest.
  ASSERT_OK(poller
                .WaitFor(
                    [&](const pb::ConnectResponse& m) {
                      return m.has_track() && m.track().key() == key && m.track().watched_tags_size() == 1 &&
                             m.track().watched_tags(0) == "1.10.0";
                    },
                    kDeadline)
                .status());

  const std::string digest = absl::StrCat("sha256:", std::string(64, 'a'));
  pb::RepositoryObservation resolved;
  resolved.set_key(key);
  resolved.mutable_digest_changed()->set_tag("1.10.0");
  resolved.mutable_digest_changed()->set_digest(digest);
  report.on_repository(resolved);
  bundle = AwaitBundle("web", [](const json& b) { return b["status"].contains("activeJob"); });
  ASSERT_TRUE(bundle.has_value());
  // Decided and recorded before it is asked for (README.md, "Job identity").
  const json active = (*bundle)["status"]["activeJob"];
  const std::string job_name = active.value("name", "");
  EXPECT_THAT(job_name, MatchesRegex("web-a-[0-9a-f]{10}"));
  EXPECT_EQ(active.value("namespace", ""), kNamespace);
  EXPECT_EQ(active.value("tag", ""), "1.10.0");
  EXPECT_EQ(active.value("digest", ""), digest);
  EXPECT_EQ(active.value("kind", ""), "Apply");
  EXPECT_EQ(active.value("sequence", 0), 1);
  EXPECT_EQ((*bundle)["status"].value("jobSequence", 0), 1);
  EXPECT_EQ((*bundle)["status"].value("latestDigest", ""), digest);
  EXPECT_EQ((*bundle)["status"].value("phase", ""), "Syncing");
  EXPECT_TRUE(ConditionIs(*bundle, "Reconciling", "True", "Converging"));
  EXPECT_EQ(Condition(*bundle, "Reconciling").value("message", ""),
            absl::StrCat("Job prod/", job_name, " is deploying tag 1.10.0"));

  // The converger is asked for exactly that Job.
  absl::StatusOr<pb::ConnectResponse> converge = converger.WaitForKind(pb::ConnectResponse::kConverge, kDeadline);
  ASSERT_TRUE(converge.ok()) << converge.status();
  const pb::ConvergeRequest& request = converge->converge();
  EXPECT_EQ(request.job_name(), job_name);
  EXPECT_EQ(request.kind(), pb::JOB_KIND_APPLY);
  EXPECT_EQ(request.repository(), kRepository);
  EXPECT_EQ(request.tag(), "1.10.0");
  EXPECT_EQ(request.digest(), digest);
  EXPECT_EQ(request.target_namespace(), kNamespace);
  EXPECT_EQ(request.service_account_name(), "deployer");
  EXPECT_EQ(request.bundle().namespace_(), kNamespace);
  EXPECT_EQ(request.bundle().name(), "web");
  EXPECT_EQ(request.bundle().uid(), uid);

  // Its result, as the hub delivers it, is merged into status.
  pb::JobObservation result;
  result.set_job_name(job_name);
  result.set_job_namespace(kNamespace);
  result.mutable_bundle()->set_namespace_(kNamespace);
  result.mutable_bundle()->set_name("web");
  result.mutable_bundle()->set_uid(uid);
  result.set_kind(pb::JOB_KIND_APPLY);
  result.set_phase(pb::JOB_PHASE_SUCCEEDED);
  result.set_tag("1.10.0");
  result.set_digest(digest);
  report.on_job(result);
  bundle = AwaitBundle("web", [](const json& b) { return b["status"].value("phase", "") == "Synced"; });
  ASSERT_TRUE(bundle.has_value());
  const json& status = (*bundle)["status"];
  EXPECT_EQ(status.value("lastAppliedTag", ""), "1.10.0");
  EXPECT_EQ(status.value("lastAppliedDigest", ""), digest);
  EXPECT_FALSE(status.contains("activeJob")) << "the merge clears activeJob in the same write";
  EXPECT_TRUE(ConditionIs(*bundle, "Ready", "True", "Synced"));
  EXPECT_THAT(Condition(*bundle, "Ready").value("message", ""), StartsWith("tag 1.10.0 (sha256:aaaaaaaaaaa"));
  EXPECT_TRUE(ConditionIs(*bundle, "Reconciling", "False", "Synced"));
  ASSERT_FALSE(status.value("history", json::array()).empty());
  const json& last = status["history"][0];
  EXPECT_EQ(last.value("tag", ""), "1.10.0");
  EXPECT_EQ(last.value("jobName", ""), job_name);
  EXPECT_EQ(last.value("result", ""), "Succeeded");
  EXPECT_EQ(last.value("message", ""), "deployed");
  std::optional<json> event = AwaitEvent("web", "ConvergeSucceeded");
  ASSERT_TRUE(event.has_value());
  EXPECT_THAT(event->value("message", ""), HasSubstr(absl::StrCat("deployed tag 1.10.0 with Job ", job_name)));
}

}  // namespace
}  // namespace werf::controller
