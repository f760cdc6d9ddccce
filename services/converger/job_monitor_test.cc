// JobMonitor on the in-memory API server (libs/kube/testing/fake_rest_client.h): the
// operator's Jobs as the Job controller and kubelet would leave them (status,
// conditions, a pod with the werf container's end, its log), and what the monitor
// publishes for the controller. Waits have deadlines; nothing sleeps and then looks.
#include "services/converger/job_monitor.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/hub/job_labels.h"
#include "libs/kube/resource.h"
#include "libs/kube/testing/fake_rest_client.h"
#include "services/converger/redaction.h"

namespace werf::converger {
namespace {

using nlohmann::json;
using ::google::protobuf::util::TimeUtil;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kNamespace[] = "prod";
constexpr absl::Duration kDeadline = absl::Seconds(10);

// A werf Job of bundle team-a/shop, labelled as the converger labels its Jobs (the
// monitor's informer selects hub::ManagedJobsSelector()), started by the Job controller.
json Job(const std::string& name, const std::string& uid) {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", name},
            {"namespace", kNamespace},
            {"uid", uid},
            {"labels",
             {{std::string(hub::kLabelManagedBy), std::string(hub::kManagedByValue)},
              {std::string(hub::kLabelBundle), "shop"},
              {std::string(hub::kLabelBundleNamespace), "team-a"},
              {std::string(hub::kLabelBundleUid), "bundle-uid"},
              {std::string(hub::kLabelJobKind), std::string(hub::JobKindLabel(pb::JOB_KIND_APPLY))}}},
            {"annotations",
             {{std::string(hub::kAnnotationTag), "1.4.2"},
              {std::string(hub::kAnnotationDigest), "sha256:abc"},
              {std::string(hub::kAnnotationConfigHash), "cfg1"},
              {std::string(hub::kAnnotationBundle), "team-a/shop"}}}}},
          // The per-Job Secret, mounted as the converger mounts it.
          {"spec",
           {{"template",
             {{"spec", {{"volumes", json::array({{{"name", "inputs"}, {"secret", {{"secretName", name}}}}})}}}}}}},
          {"status", {{"startTime", "2026-11-22T10:00:00Z"}}}};
}

json Finished(json job, bool complete) {
  json condition = {{"type", complete ? "Complete" : "Failed"},
                    {"status", "True"},
                    {"lastTransitionTime", "2026-11-22T10:01:30Z"}};
  if (!complete) {
    condition["reason"] = "BackoffLimitExceeded";
    condition["message"] = "Job has reached the specified backoff limit";
  }
  job["status"]["conditions"] = json::array({condition});
  return job;
}

// The Job's pod (found by the controller-uid label the Job controller sets) with the
// werf container terminated.
json Pod(const std::string& name, const std::string& job_uid, int exit_code) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"namespace", kNamespace},
            {"creationTimestamp", "2026-11-22T10:00:00Z"},
            {"labels", {{"controller-uid", job_uid}}}}},
          {"status",
           {{"containerStatuses",
             json::array({{{"name", "werf"},
                           {"state",
                            {{"terminated",
                              {{"exitCode", exit_code},
                               {"finishedAt", "2026-11-22T10:01:29Z"},
                               {"reason", exit_code == 0 ? "Completed" : "Error"}}}}}}})}}}};
}

// The per-Job Secret: values.yaml came from a Kubernetes Secret (the annotation says so).
json JobSecret(const std::string& job_name, const std::string& values) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata",
           {{"name", job_name}, {"namespace", kNamespace}, {"annotations", {{kSecretKeysAnnotation, "values.yaml"}}}}},
          {"data", {{"values.yaml", absl::Base64Escape(values)}}}};
}

class JobMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One worker: keys are processed in the order the watch delivered them.
    absl::StatusOr<std::unique_ptr<JobMonitor>> created =
        JobMonitor::Create(fake_, {.workers = 1}, [this](const pb::JobObservation& observation) {
          absl::MutexLock lock(&mu_);
          published_.push_back(observation);
        });
    ASSERT_TRUE(created.ok()) << created.status();
    monitor_ = *std::move(created);
  }
  void TearDown() override {
    if (monitor_ != nullptr) monitor_->Stop();
  }

  void StartAndWatch() {
    monitor_->Start();
    ASSERT_TRUE(monitor_->WaitForSync(kDeadline));
    const absl::Time deadline = absl::Now() + kDeadline;
    while (fake_->open_watches() < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    ASSERT_EQ(fake_->open_watches(), 1);
  }

  // The first observation published (within kDeadline) of Job `name` in `phase`.
  std::optional<pb::JobObservation> AwaitPublished(const std::string& name, pb::JobPhase phase) {
    const absl::Time deadline = absl::Now() + kDeadline;
    while (absl::Now() < deadline) {
      for (const pb::JobObservation& observation : Published()) {
        if (observation.job_name() == name && observation.phase() == phase) return observation;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    ADD_FAILURE() << "Job " << name << " never published as " << pb::JobPhase_Name(phase);
    return std::nullopt;
  }

  std::vector<pb::JobObservation> Published() {
    absl::MutexLock lock(&mu_);
    return published_;
  }

  kube::RestClient& api() { return *fake_; }

  std::shared_ptr<kube::testing::FakeRestClient> fake_ = std::make_shared<kube::testing::FakeRestClient>();
  std::unique_ptr<JobMonitor> monitor_;
  absl::Mutex mu_;
  std::vector<pb::JobObservation> published_ ABSL_GUARDED_BY(mu_);
};

TEST_F(JobMonitorTest, PublishesRunningThenTheOutcomeOfACompletedJob) {
  ASSERT_NO_FATAL_FAILURE(StartAndWatch());
  fake_->Seed(kube::resources::kJobs, Job("shop-a-0123456789", "job-uid-1"));
  std::optional<pb::JobObservation> running = AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_RUNNING);
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->job_namespace(), kNamespace);
  EXPECT_EQ(running->bundle().namespace_(), "team-a");
  EXPECT_EQ(running->bundle().name(), "shop");
  EXPECT_EQ(running->bundle().uid(), "bundle-uid");
  EXPECT_EQ(running->kind(), pb::JOB_KIND_APPLY);
  EXPECT_EQ(running->tag(), "1.4.2");
  EXPECT_EQ(running->digest(), "sha256:abc");
  EXPECT_EQ(running->config_hash(), "cfg1");

  // The Job mounts its Secret, which says what to redact; without it the log is withheld.
  fake_->Seed(kube::resources::kSecrets, JobSecret("shop-a-0123456789", "replicas: 2\n"));
  fake_->Seed(kube::resources::kPods, Pod("shop-a-0123456789-x7k2p", "job-uid-1", 0));
  fake_->SetPodLog(kNamespace, "shop-a-0123456789-x7k2p", "werf", "pulling bundle\napplying\nrelease shop deployed\n");
  fake_->Seed(kube::resources::kJobs, Finished(Job("shop-a-0123456789", "job-uid-1"), /*complete=*/true));

  std::optional<pb::JobObservation> done = AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_SUCCEEDED);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->exit_code(), 0);
  EXPECT_THAT(done->log_tail(), HasSubstr("release shop deployed"));
  EXPECT_THAT(fake_->requests(kube::testing::Verb::kPodLogs),
              Contains(kube::testing::Request{.verb = kube::testing::Verb::kPodLogs,
                                              .resource = "pods",
                                              .ns = kNamespace,
                                              .name = "shop-a-0123456789-x7k2p",
                                              .subresource = "log"}));
  EXPECT_EQ(TimeUtil::ToString(done->finished_at()), "2026-11-22T10:01:30Z");
  EXPECT_EQ(done->bundle().name(), "shop");
  EXPECT_EQ(done->tag(), "1.4.2");
  // Kept for a controller that reconnects.
  std::optional<pb::JobObservation> latest = monitor_->Latest(kNamespace, "shop-a-0123456789");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->phase(), pb::JOB_PHASE_SUCCEEDED);
  EXPECT_TRUE(monitor_->UnfinishedJobsOf("team-a", "shop").empty());
}

// A pod list that fails is not concluded as "the Job has no pod": the Job is processed
// again (the loop's rate-limited requeue) and its real outcome is what gets published.
TEST_F(JobMonitorTest, AFailedPodListIsRetriedBeforeTheOutcomeIsPublished) {
  ASSERT_NO_FATAL_FAILURE(StartAndWatch());
  fake_->Seed(kube::resources::kSecrets, JobSecret("shop-a-0123456789", "replicas: 2\n"));
  fake_->Seed(kube::resources::kPods, Pod("shop-a-0123456789-x7k2p", "job-uid-1", 0));
  fake_->SetPodLog(kNamespace, "shop-a-0123456789-x7k2p", "werf", "release shop deployed\n");
  const size_t lists_before = fake_->requests(kube::testing::Verb::kList).size();
  fake_->FailNext(kube::testing::Verb::kList, kube::testing::ApiError(500, "InternalError", "etcd is slow"), 2);
  fake_->Seed(kube::resources::kJobs, Finished(Job("shop-a-0123456789", "job-uid-1"), /*complete=*/true));

  std::optional<pb::JobObservation> done = AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_SUCCEEDED);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->exit_code(), 0);
  EXPECT_THAT(done->log_tail(), HasSubstr("release shop deployed"));
  EXPECT_GE(fake_->requests(kube::testing::Verb::kList).size(), lists_before + 3)
      << "two failed pod lists and the one that succeeded";
  for (const pb::JobObservation& observation : Published()) {
    EXPECT_THAT(observation.message(), Not(HasSubstr("no pod"))) << "concluded without its pod";
  }
}

TEST_F(JobMonitorTest, AFailedJobReportsItsExitCodeAndALogTailWithoutTheMountedSecrets) {
  ASSERT_NO_FATAL_FAILURE(StartAndWatch());
  fake_->Seed(kube::resources::kSecrets, JobSecret("shop-a-0123456789", "db:\n  password: hunter2-s3cret\n"));
  fake_->Seed(kube::resources::kPods, Pod("shop-a-0123456789-x7k2p", "job-uid-1", 3));
  fake_->SetPodLog(kNamespace, "shop-a-0123456789-x7k2p", "werf",
                   "rendering\nError: template: password \"hunter2-s3cret\" is not allowed here\n");
  fake_->Seed(kube::resources::kJobs, Finished(Job("shop-a-0123456789", "job-uid-1"), /*complete=*/false));

  std::optional<pb::JobObservation> failed = AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->exit_code(), 3);
  EXPECT_THAT(failed->message(), HasSubstr("werf exited with code 3"));
  EXPECT_THAT(failed->message(), HasSubstr("BackoffLimitExceeded"));
  EXPECT_THAT(failed->log_tail(), HasSubstr("is not allowed here"));
  EXPECT_THAT(failed->log_tail(), HasSubstr(kRedacted));
  EXPECT_THAT(failed->log_tail(), Not(HasSubstr("hunter2-s3cret")));
  EXPECT_THAT(failed->message(), Not(HasSubstr("hunter2-s3cret")));
}

TEST_F(JobMonitorTest, WithoutItsJobSecretNothingWerfPrintedIsPublished) {
  ASSERT_NO_FATAL_FAILURE(StartAndWatch());
  fake_->Seed(kube::resources::kPods, Pod("shop-a-0123456789-x7k2p", "job-uid-1", 3));
  fake_->SetPodLog(kNamespace, "shop-a-0123456789-x7k2p", "werf", "Error: password hunter2-s3cret\n");
  fake_->Seed(kube::resources::kJobs, Finished(Job("shop-a-0123456789", "job-uid-1"), /*complete=*/false));

  // Fail closed: nobody knows what to redact.
  std::optional<pb::JobObservation> failed = AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->exit_code(), 3);
  EXPECT_EQ(failed->log_tail(), "");
  EXPECT_THAT(failed->message(), HasSubstr("withheld"));
  EXPECT_THAT(failed->message(), Not(HasSubstr("hunter2-s3cret")));
}

TEST_F(JobMonitorTest, AJobDeletedBeforeItFinishedIsReportedVanished) {
  ASSERT_NO_FATAL_FAILURE(StartAndWatch());
  fake_->Seed(kube::resources::kJobs, Job("shop-a-0123456789", "job-uid-1"));
  ASSERT_TRUE(AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_RUNNING).has_value());
  EXPECT_THAT(monitor_->UnfinishedJobsOf("team-a", "shop"), ::testing::ElementsAre("prod/shop-a-0123456789"));

  ASSERT_TRUE(api().Delete(kube::resources::kJobs, kNamespace, "shop-a-0123456789", {}).ok());
  std::optional<pb::JobObservation> vanished = AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_VANISHED);
  ASSERT_TRUE(vanished.has_value());
  EXPECT_THAT(vanished->message(), HasSubstr("deleted before it finished"));
  EXPECT_EQ(vanished->bundle().name(), "shop");
  EXPECT_TRUE(vanished->has_finished_at());
}

TEST_F(JobMonitorTest, JobsFinishedBeforeItStartedWaitUntilAskedForAndOthersAreNotWatched) {
  // Retained from before a restart: the controller has most of these results already.
  fake_->Seed(kube::resources::kPods, Pod("shop-a-0123456789-x7k2p", "job-uid-1", 0));
  fake_->Seed(kube::resources::kJobs, Finished(Job("shop-a-0123456789", "job-uid-1"), /*complete=*/true));
  ASSERT_NO_FATAL_FAILURE(StartAndWatch());
  // Not the operator's: outside the informer's label selector.
  json foreign = Finished(Job("backup-29001", "job-uid-2"), /*complete=*/true);
  foreign["metadata"]["labels"].erase(std::string(hub::kLabelManagedBy));
  fake_->Seed(kube::resources::kJobs, foreign);
  // Written after both: once it is published, the queue (one worker, in watch order)
  // has been past anything the others could have caused.
  fake_->Seed(kube::resources::kJobs, Job("shop-a-abcdefabcd", "job-uid-3"));
  ASSERT_TRUE(AwaitPublished("shop-a-abcdefabcd", pb::JOB_PHASE_RUNNING).has_value());
  for (const pb::JobObservation& observation : Published()) {
    EXPECT_EQ(observation.job_name(), "shop-a-abcdefabcd") << observation.DebugString();
  }
  EXPECT_FALSE(monitor_->Latest(kNamespace, "shop-a-0123456789").has_value());

  // The controller still waits for it and asks again (the ConvergeRequest is re-sent):
  // adopting it concludes and publishes it.
  pb::ConvergeRequest request;
  request.set_job_name("shop-a-0123456789");
  request.set_target_namespace(kNamespace);
  request.mutable_bundle()->set_namespace_("team-a");
  request.mutable_bundle()->set_name("shop");
  monitor_->NoteLaunched(request, "shop-a-0123456789");
  std::optional<pb::JobObservation> done = AwaitPublished("shop-a-0123456789", pb::JOB_PHASE_SUCCEEDED);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->exit_code(), 0);
}

}  // namespace
}  // namespace werf::converger
