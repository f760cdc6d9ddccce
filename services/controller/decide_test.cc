// Decide() as a table: each case builds an Observed snapshot from a deployed-or-new
// bundle, decides, and checks the Decision. Every case also checks that deciding
// again on the decision's own status (with the consumed observations gone and the
// request acknowledged) changes nothing: a reconcile loop converges instead of
// rewriting the status on every pass.
#include "services/controller/decide.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/api/bundle_status.h"
#include "services/controller/requests.h"

namespace werf::controller {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kRepository[] = "registry.example.com/apps/web";

Json BundleJson() {
  return {{"metadata", {{"namespace", "apps"}, {"name", "web"}, {"uid", "uid-1"}, {"generation", 1}}},
          {"spec",
           {{"registry", {{"url", kRepository}, {"versionConstraint", ">=1.0.0"}}},
            {"converge",
             {{"serviceAccountName", "deployer"},
              {"driftDetection", {{"enabled", false}, {"interval", "15m"}, {"maxRetries", 2}}}}}}}};
}

// The snapshot of a new bundle whose registry has 1.0.0 and 1.1.0 (digest known).
struct Fixture {
  Json bundle = BundleJson();
  Observed in;
  DecideOptions options;

  Fixture() {
    in.key = "apps/web";
    in.generation = 1;
    in.now = kNow;
    in.registry.tags_known = true;
    SetTags({"1.0.0", "1.1.0"});
    in.registry.digests["1.1.0"] = "sha256:11";
    in.cluster.values_hash = std::string("values-1");
    Reparse();
  }

  void Reparse() {
    bundle["metadata"]["generation"] = in.generation;
    in.spec = ParseBundleSpec(bundle);
  }
  Json& Spec() { return bundle["spec"]; }
  void SetTags(std::vector<std::string> tags) {
    in.registry.tags = std::make_shared<const TagSet>(tags);
  }
  std::string Config(const std::string& values = "values-1") const { return ConfigHash(*in.spec, values); }

  // The status of a bundle that deployed `tag` (with the digest the registry has)
  // with the current configuration, at sequence `sequence`.
  void Deployed(const std::string& tag = "1.1.0", int64_t sequence = 1) {
    Decision first = Decide(in, options);
    api::BundleStatus& s = first.status;
    s.job_sequence = sequence;
    s.active_job = api::ActiveJob{.name = "web-a-deployed", .ns = "apps", .tag = tag,
                                  .digest = in.registry.digests.at(tag), .config_hash = Config(),
                                  .kind = api::JobKind::kApply, .sequence = sequence,
                                  .started_at = kNow - absl::Minutes(2)};
    in.status = s;
    in.job_results = {Result("web-a-deployed", pb::JOB_PHASE_SUCCEEDED)};
    in.status = Decide(in, options).status;
    in.job_results.clear();
    in.registry.digests[tag] = in.status.last_applied_digest;
  }

  // Puts an active Job in status as a decision would, and returns its name.
  std::string Active(api::JobKind kind = api::JobKind::kApply, const std::string& tag = "1.1.0") {
    // A Job is only ever asked for once the tag and its digest are known.
    in.status.latest_tag = tag;
    in.status.latest_digest = in.registry.digests[tag];
    in.status.observed_generation = in.generation;
    in.status.job_sequence += 1;
    in.status.active_job = api::ActiveJob{
        .name = JobNameFor(*in.spec, kind, in.status.job_sequence, tag, in.registry.digests[tag], Config()),
        .ns = "apps", .tag = tag, .digest = in.registry.digests[tag], .config_hash = Config(),
        .kind = kind, .sequence = in.status.job_sequence, .started_at = kNow - absl::Minutes(1)};
    return in.status.active_job->name;
  }

  // A finished Job, 5 s before `in.now`.
  pb::JobObservation Result(const std::string& name, pb::JobPhase phase,
                            pb::DriftResult drift = pb::DRIFT_RESULT_UNSPECIFIED) const {
    pb::JobObservation job;
    job.set_job_name(name);
    job.set_job_namespace("apps");
    job.set_phase(phase);
    job.set_drift(drift);
    job.set_exit_code(phase == pb::JOB_PHASE_FAILED ? 1 : 0);
    if (phase == pb::JOB_PHASE_FAILED) job.set_log_tail("Error: render failed");
    *job.mutable_finished_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(in.now - absl::Seconds(5)));
    return job;
  }
  void Throttle() {
    pb::PollThrottled throttled;
    throttled.set_message("registry.example.com is rate limiting us (HTTP 429): no requests before 2027-01-15T08:10:00Z");
    *throttled.mutable_resumes_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(kNow + absl::Minutes(10)));
    in.registry.throttled = throttled;
  }
  void Fail(int consecutive, pb::PollFailureReason reason = pb::POLL_FAILURE_REASON_UNAVAILABLE) {
    pb::PollFailed failure;
    failure.set_reason(reason);
    failure.set_message("GET https://registry.example.com/v2/apps/web/tags/list: connection refused");
    failure.set_consecutive_failures(consecutive);
    *failure.mutable_next_attempt_at() =
        TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(kNow + absl::Seconds(30)));
    in.registry.failure = failure;
    in.registry.consecutive_failures = consecutive;
  }
};

std::string ConditionOf(const Decision& d, const std::string& type) {
  const api::Condition* c = d.status.FindCondition(type);
  return c == nullptr ? "absent" : absl::StrCat(c->status, "/", c->reason);
}

std::vector<std::string> EventReasons(const Decision& d) {
  std::vector<std::string> reasons;
  for (const EventSpec& e : d.events) reasons.push_back(e.reason);
  return reasons;
}

struct Case {
  std::string name;
  std::function<void(Fixture&)> given;
  std::function<void(const Fixture&, const Decision&)> expect;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class DecideTest : public ::testing::TestWithParam<Case> {};

TEST_P(DecideTest, Decides) {
  Fixture f;
  GetParam().given(f);
  const Decision d = Decide(f.in, f.options);
  GetParam().expect(f, d);
  if (d.finalize) return;

  // A second pass on the decision's own status, with its observations consumed and
  // its request reported, writes nothing new and asks for nothing new.
  Observed again = f.in;
  again.status = d.status;
  std::erase_if(again.job_results, [&](const pb::JobObservation& j) {
    return std::find(d.consumed.begin(), d.consumed.end(), j.job_name()) != d.consumed.end();
  });
  std::erase_if(again.refusals, [&](const Refusal& r) {
    return std::find(d.consumed.begin(), d.consumed.end(), r.job_name) != d.consumed.end();
  });
  again.active_job_reported = true;
  again.reconcile_requested_at = d.status.last_handled_reconcile_at;
  const Decision second = Decide(again, f.options);
  EXPECT_EQ(api::BundleStatusToJson(second.status), api::BundleStatusToJson(d.status))
      << "the decision is not a fixed point";
  EXPECT_FALSE(second.converge.has_value() && second.converge_is_new) << "a second Job was asked for";
  EXPECT_TRUE(second.events.empty()) << "events again: " << absl::StrJoin(EventReasons(second), ",");
}

const Case kCases[] = {
    // --- a new bundle ---------------------------------------------------------------
    {"NewBundleDeploysTheHighestMatchingTag", [](Fixture&) {},
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_TRUE(d.converge_is_new);
       EXPECT_EQ(d.converge->tag(), "1.1.0");
       EXPECT_EQ(d.converge->digest(), "sha256:11");
       EXPECT_EQ(d.converge->kind(), pb::JOB_KIND_APPLY);
       ASSERT_TRUE(d.status.active_job.has_value());
       EXPECT_EQ(d.status.active_job->name, d.converge->job_name());
       EXPECT_EQ(d.status.job_sequence, 1);
       EXPECT_EQ(d.status.phase, api::Phase::kSyncing);
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/Converging");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/Converging");
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "True/Polled");
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("NewTag", "ConvergeStarted"));
       ASSERT_TRUE(d.track.has_value());
       EXPECT_THAT(d.track->watched_tags(), ::testing::ElementsAre("1.1.0"));
     }},
    {"NewBundleWaitsForTheDigest", [](Fixture& f) { f.in.registry.digests.clear(); },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.status.latest_tag, "1.1.0");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/ResolvingDigest");
       ASSERT_TRUE(d.track.has_value());
       EXPECT_THAT(d.track->watched_tags(), ::testing::ElementsAre("1.1.0"));
     }},
    {"NewBundleWaitsForTheFirstPoll", [](Fixture& f) { f.in.registry = {}; },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/WaitingForRegistry");
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "absent");
       ASSERT_TRUE(d.track.has_value());
       EXPECT_TRUE(d.track->watched_tags().empty());
       EXPECT_EQ(d.status.phase, api::Phase::kSyncing);
     }},
    {"NoTagMatchesTheConstraint",
     [](Fixture& f) {
       f.Spec()["registry"]["versionConstraint"] = ">=2.0.0";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/NoMatchingTag");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "False/NoMatchingTag");
       EXPECT_THAT(d.status.FindCondition("Ready")->message, HasSubstr(">=2.0.0"));
       EXPECT_TRUE(d.status.latest_tag.empty());
     }},
    {"TagFilterExcludesEveryTag",
     [](Fixture& f) {
       f.Spec()["registry"]["tagFilter"] = "^0\\.";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/NoMatchingTag");
       EXPECT_THAT(d.status.FindCondition("Ready")->message, HasSubstr("tag filter"));
     }},
    {"PrereleaseIsNotPickedByAnOrdinaryConstraint",
     [](Fixture& f) {
       f.SetTags({"1.0.0", "1.1.0", "1.2.0-rc.1"});
       f.in.registry.digests["1.2.0-rc.1"] = "sha256:rc";
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->tag(), "1.1.0");
     }},
    {"SemverPrecedenceNotLexicalOrder",
     [](Fixture& f) {
       f.SetTags({"1.9.0", "1.10.0", "1.1.0"});
       f.in.registry.digests["1.10.0"] = "sha256:110";
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->tag(), "1.10.0");
     }},
    {"RequestCarriesOnlyTheBundlesOwnNamespace",
     [](Fixture& f) {
       f.Spec()["registry"]["secretRef"] = {{"name", "pull"}};
       f.Spec()["converge"]["valuesFrom"] = Json::array({{{"secretRef", {{"name", "vals"}}}}});
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->access().credentials_secret().namespace_(), "apps");
       ASSERT_EQ(d.converge->values_from_size(), 1);
       EXPECT_EQ(d.converge->values_from(0).object().namespace_(), "apps");
     }},

    // --- the same facts again ---------------------------------------------------------
    {"DeployedBundleIsSyncedAndStable", [](Fixture& f) { f.Deployed(); },
     [](const Fixture& f, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Synced");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "False/Synced");
       EXPECT_EQ(api::BundleStatusToJson(d.status), api::BundleStatusToJson(f.in.status));
       EXPECT_TRUE(d.events.empty());
     }},
    {"SameTagTwiceDeploysOnce",
     [](Fixture& f) {
       f.Deployed();
       f.in.now = kNow + absl::Hours(3);
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.status, f.in.status);
     }},

    // --- new tags and digests ---------------------------------------------------------
    {"NewTagDeploysWithTheNextSequence",
     [](Fixture& f) {
       f.Deployed();
       f.SetTags({"1.0.0", "1.1.0", "1.2.0"});
       f.in.registry.digests["1.2.0"] = "sha256:12";
       f.in.status.latest_tag = "1.1.0";
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->tag(), "1.2.0");
       EXPECT_EQ(d.status.job_sequence, f.in.status.job_sequence + 1);
       EXPECT_EQ(d.status.active_job->sequence, d.status.job_sequence);
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/Converging");
     }},
    {"NewTagWithoutDigestWatchesTheNewTag",
     [](Fixture& f) {
       f.Deployed();
       f.SetTags({"1.0.0", "1.1.0", "1.2.0"});
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       ASSERT_TRUE(d.track.has_value());
       EXPECT_THAT(d.track->watched_tags(), ::testing::ElementsAre("1.2.0"));
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/ResolvingDigest");
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/ResolvingDigest");
     }},
    {"RepublishedTagIsRedeployed",
     [](Fixture& f) {
       f.Deployed();
       f.in.registry.digests["1.1.0"] = "sha256:11-new";
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->digest(), "sha256:11-new");
       EXPECT_EQ(d.status.latest_digest, "sha256:11-new");
     }},

    // --- going back ---------------------------------------------------------------------
    {"RollbackByConstraintRedeploysTheOlderTagWithANewJob",
     [](Fixture& f) {
       f.in.registry.digests["1.0.0"] = "sha256:10";
       f.SetTags({"1.0.0", "1.1.0"});
       f.Deployed("1.1.0", 4);
       f.Spec()["registry"]["versionConstraint"] = "<1.1.0";
       f.in.generation = 2;
       f.Reparse();
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->tag(), "1.0.0");
       EXPECT_EQ(d.status.job_sequence, 5);
       // Not the name an earlier deploy of 1.0.0 with sequence 1 would have had.
       EXPECT_NE(d.converge->job_name(),
                 JobNameFor(*f.in.spec, api::JobKind::kApply, 1, "1.0.0", "sha256:10",
                            ConfigHash(*f.in.spec, "values-1")));
     }},
    {"DeletedTagRollsBackToThePreviousOne",
     [](Fixture& f) {
       f.SetTags({"1.0.0", "1.1.0", "1.2.0"});
       f.in.registry.digests["1.2.0"] = "sha256:12";
       f.in.registry.digests["1.0.0"] = "sha256:10";
       f.Deployed("1.2.0");
       f.SetTags({"1.0.0", "1.1.0"});
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.latest_tag, "1.1.0");
       EXPECT_THAT(EventReasons(d), ::testing::Contains("NewTag"));
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->tag(), "1.1.0");
     }},
    {"RollbackToAFormerlyDeployedTagGetsAFreshName",
     [](Fixture& f) {
       f.Deployed("1.1.0", 1);
       const std::string first_name = f.in.status.history[0].job_name;
       f.SetTags({"1.0.0", "1.1.0", "1.2.0"});
       f.in.registry.digests["1.2.0"] = "sha256:12";
       f.Deployed("1.2.0", 2);
       f.SetTags({"1.0.0", "1.1.0"});
       f.in.status.history.push_back({.tag = "1.1.0", .job_name = first_name});
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->tag(), "1.1.0");
       for (const api::HistoryEntry& h : f.in.status.history) EXPECT_NE(d.converge->job_name(), h.job_name);
     }},

    // --- values ---------------------------------------------------------------------------
    {"ValuesChangeRedeploys",
     [](Fixture& f) {
       f.Deployed();
       f.in.cluster.values_hash = std::string("values-2");
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->config_hash(), ConfigHash(*f.in.spec, "values-2"));
       EXPECT_EQ(d.converge->values_hash(), "values-2");
     }},
    {"ValuesRevertRedeploysWithANewName",
     [](Fixture& f) {
       f.Deployed();
       f.in.status.last_applied_config_hash = f.Config("values-2");  // deployed the changed values
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->config_hash(), f.Config("values-1"));
       EXPECT_NE(d.converge->job_name(), "web-a-deployed");
     }},
    {"UnreadableValuesStall",
     [](Fixture& f) { f.in.cluster.values_hash = absl::PermissionDeniedError("secrets \"vals\" is forbidden"); },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Stalled"), "True/ValuesUnreadable");
       EXPECT_THAT(d.status.last_error_message, HasSubstr("forbidden"));
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"SpecChangeThatChangesTheConvergeRedeploys",
     [](Fixture& f) {
       f.Deployed();
       f.Spec()["converge"]["resourceLimits"] = {{"memory", "2Gi"}};
       f.in.generation = 2;
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->resources().memory(), "2Gi");
       EXPECT_EQ(d.status.observed_generation, 2);
     }},
    {"PollIntervalChangeDoesNotRedeploy",
     [](Fixture& f) {
       f.Deployed();
       f.Spec()["registry"]["pollInterval"] = "5m";
       f.in.generation = 2;
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.status.observed_generation, 2);
       ASSERT_TRUE(d.track.has_value());
       EXPECT_EQ(TimeUtil::DurationToSeconds(d.track->poll_interval()), 300);
     }},

    // --- references ----------------------------------------------------------------------
    {"MissingServiceAccountStallsWithAWarning",
     [](Fixture& f) { f.in.cluster.missing_reference = "ServiceAccount \"deployer\" not found in namespace \"apps\": create it"; },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kFailed);
       EXPECT_EQ(ConditionOf(d, "Stalled"), "True/MissingReference");
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/MissingReference");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "False/MissingReference");
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("MissingReference"));
       EXPECT_EQ(d.events[0].type, "Warning");
       EXPECT_FALSE(d.track.has_value());
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.requeue_after, f.options.recheck_interval);
     }},
    {"StillMissingReferenceEmitsNoSecondEvent",
     [](Fixture& f) {
       f.in.cluster.missing_reference = "ServiceAccount \"deployer\" not found";
       f.in.status = Decide(f.in, f.options).status;
     },
     [](const Fixture&, const Decision& d) { EXPECT_TRUE(d.events.empty()); }},
    {"CreatedServiceAccountUnstallsAndDeploys",
     [](Fixture& f) {
       f.in.cluster.missing_reference = "ServiceAccount \"deployer\" not found";
       f.in.status = Decide(f.in, f.options).status;
       f.in.cluster.missing_reference.reset();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Stalled"), "absent");
       EXPECT_TRUE(d.status.last_error_message.empty());
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.status.phase, api::Phase::kSyncing);
     }},
    {"InvalidSpecStalls",
     [](Fixture& f) {
       f.Spec()["registry"]["versionConstraint"] = ">>1";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Stalled"), "True/InvalidSpec");
       EXPECT_THAT(d.status.last_error_message, HasSubstr("spec.registry.versionConstraint"));
       EXPECT_THAT(d.status.last_error_message, HasSubstr("apps/web"));
       EXPECT_FALSE(d.track.has_value());
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("InvalidSpec"));
     }},

    // --- tenancy and bounds ------------------------------------------------------------------
    {"CrossNamespaceTargetWithoutGrantStalls",
     [](Fixture& f) {
       f.Spec()["converge"]["targetNamespace"] = "kube-system";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Stalled"), "True/TenancyViolation");
       EXPECT_THAT(d.status.last_error_message, HasSubstr("werf.io/accept-bundles-from=apps/deployer"));
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_FALSE(d.track.has_value());
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("TenancyViolation"));
     }},
    {"CrossNamespaceTargetWithGrantDeploys",
     [](Fixture& f) {
       f.Spec()["converge"]["targetNamespace"] = "shop";
       f.Reparse();
       f.in.cluster.target_namespace_annotations = {{"werf.io/accept-bundles-from", "apps/deployer"}};
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->target_namespace(), "shop");
     }},
    {"GrantForAnotherServiceAccountStalls",
     [](Fixture& f) {
       f.Spec()["converge"]["targetNamespace"] = "shop";
       f.Spec()["converge"]["serviceAccountName"] = "shop-admin";
       f.Reparse();
       f.in.cluster.target_namespace_annotations = {{"werf.io/accept-bundles-from", "apps/deployer"}};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Stalled"), "True/TenancyViolation");
       EXPECT_THAT(d.status.last_error_message, HasSubstr("spec.converge.serviceAccountName"));
     }},
    {"OperatorNamespaceBundleTargetsAnyNamespace",
     [](Fixture& f) {
       f.options.tenancy.operator_namespace = "apps";
       f.Spec()["converge"]["targetNamespace"] = "kube-system";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) { ASSERT_TRUE(d.converge.has_value()); }},
    {"ImageNotOnTheAllowListStalls",
     [](Fixture& f) {
       f.Spec()["converge"]["image"] = "evil.example.com/miner:1";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Stalled"), "True/ImageNotAllowed");
       EXPECT_THAT(d.status.last_error_message, HasSubstr("--allowed_images"));
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"ImageOnTheAllowListDeploys",
     [](Fixture& f) {
       f.options.tenancy.allowed_images = {"mirror.example.com/werf/*"};
       f.Spec()["converge"]["image"] = "mirror.example.com/werf/werf:2.75.3";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->image(), "mirror.example.com/werf/werf:2.75.3");
     }},
    {"PollIntervalBelowTheFloorStalls",
     [](Fixture& f) {
       f.Spec()["registry"]["pollInterval"] = "1ms";
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Stalled"), "True/InvalidSpec");
       EXPECT_THAT(d.status.last_error_message, HasSubstr("spec.registry.pollInterval: 1ms is below"));
       EXPECT_FALSE(d.track.has_value()) << "a bundle that asks too much polls nothing";
     }},
    {"DriftIntervalBelowTheFloorStalls",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"] = {{"enabled", true}, {"interval", "10s"}};
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_THAT(d.status.last_error_message, HasSubstr("spec.converge.driftDetection.interval: 10s is below"));
     }},

    // --- registry failures ----------------------------------------------------------------
    {"FirstPollFailureBeforeAnyDeploy",
     [](Fixture& f) {
       f.in.registry = {};
       f.Fail(1);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kSyncing);
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "False/PollFailed");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/RegistryUnreachable");
       const std::string& message = d.status.FindCondition("RegistryReachable")->message;
       EXPECT_THAT(message, HasSubstr("connection refused"));
       EXPECT_THAT(message, HasSubstr("1 failed poll(s) in a row"));
       EXPECT_THAT(message, HasSubstr("next attempt at 2027-01-15T08:00:30Z"));
       EXPECT_EQ(d.status.last_error_message, message);
     }},
    {"RegistryRecoveryClearsItsErrorBeforeAnyDeploy",
     [](Fixture& f) {
       Fixture down;
       down.in.registry = {};
       down.Fail(2);
       f.in.status = Decide(down.in, down.options).status;
       f.in.registry.digests.clear();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_TRUE(d.status.last_error_message.empty()) << d.status.last_error_message;
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "True/Polled");
     }},
    {"FourPollFailuresBeforeAnyDeployStaySyncing",
     [](Fixture& f) {
       f.in.registry = {};
       f.Fail(4);
     },
     [](const Fixture&, const Decision& d) { EXPECT_EQ(d.status.phase, api::Phase::kSyncing); }},
    {"FifthPollFailureBeforeAnyDeployFails",
     [](Fixture& f) {
       f.in.registry = {};
       f.Fail(5);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kFailed);
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/RegistryUnreachable");
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("RegistryUnreachable"));
       EXPECT_THAT(d.status.last_error_message, HasSubstr("connection refused"));
     }},
    {"SixthPollFailureAddsNoEvent",
     [](Fixture& f) {
       f.in.registry = {};
       f.Fail(5);
       f.in.status = Decide(f.in, f.options).status;
       f.Fail(6);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kFailed);
       EXPECT_TRUE(d.events.empty());
     }},
    // --- webhooks: a hint to poll now, recorded so users see events arrive --------------
    {"AWebhookEventIsRecordedInStatusAndNothingElseChanges",
     [](Fixture& f) {
       f.Deployed();
       f.in.registry.last_event_time = kNow - absl::Seconds(2);
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.status.last_webhook_time.has_value());
       EXPECT_EQ(*d.status.last_webhook_time, kNow - absl::Seconds(2));
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_FALSE(d.converge.has_value()) << "the event is not trusted: only a poll changes the tag";
     }},
    {"AnOlderWebhookTimeNeverReplacesANewerOne",
     [](Fixture& f) {
       f.Deployed();
       f.in.status.last_webhook_time = kNow - absl::Seconds(1);
       f.in.registry.last_event_time = kNow - absl::Minutes(5);  // a controller restarted, then an old event
     },
     [](const Fixture&, const Decision& d) { EXPECT_EQ(*d.status.last_webhook_time, kNow - absl::Seconds(1)); }},
    // --- registry rate limits: the registry works, it asks us to wait -------------------
    {"RateLimitBeforeAnyDeploySaysWhenPollingResumes",
     [](Fixture& f) {
       f.in.registry = {};
       f.Throttle();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kSyncing);
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "True/RateLimited");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/RateLimited");
       EXPECT_THAT(d.status.FindCondition("RegistryReachable")->message,
                   HasSubstr("polling resumes at 2027-01-15T08:10:00Z"));
       EXPECT_TRUE(d.status.last_error_message.empty()) << "nothing for the user to fix";
       EXPECT_TRUE(d.events.empty());
     }},
    {"RateLimitAfterDeployKeepsTheBundleReady",
     [](Fixture& f) {
       f.Deployed();
       f.Throttle();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Synced");
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "True/RateLimited");
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"RateLimitDuringAnOutageNeitherCountsNorForgives",
     [](Fixture& f) {
       f.Deployed();
       f.Fail(4);
       f.Throttle();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kSynced) << "4 failures are still below the budget";
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "False/PollFailed");
       EXPECT_THAT(d.status.FindCondition("RegistryReachable")->message, HasSubstr("4 failed poll(s)"));
     }},
    {"PollFailureAfterDeployIsABlip",
     [](Fixture& f) {
       f.Deployed();
       f.Fail(1);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Synced");
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "False/PollFailed");
       EXPECT_THAT(d.status.last_error_message, HasSubstr("connection refused"));
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"OutageAfterDeployTurnsFailedOnTheFifthPoll",
     [](Fixture& f) {
       f.Deployed();
       f.Fail(5);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kFailed);
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/RegistryUnreachable");
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("RegistryUnreachable"));
     }},
    {"OutageAfterRestartKeepsTheDeployedTagAndFails",
     [](Fixture& f) {
       f.Deployed();
       f.in.registry = {};
       f.Fail(5);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kFailed);
       EXPECT_EQ(d.status.latest_tag, "1.1.0");
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"RecoveryAfterOutageIsSyncedAgain",
     [](Fixture& f) {
       f.Deployed();
       f.Fail(5);
       f.in.status = Decide(f.in, f.options).status;
       f.in.registry.failure.reset();
       f.in.registry.consecutive_failures = 0;
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Synced");
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "True/Polled");
       EXPECT_TRUE(d.status.last_error_message.empty());
     }},
    {"RecoveryBeforeFirstDeployDeploys",
     [](Fixture& f) {
       Fixture down;
       down.in.registry = {};
       down.Fail(5);
       f.in.status = Decide(down.in, down.options).status;
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.status.phase, api::Phase::kSyncing);
       EXPECT_EQ(ConditionOf(d, "RegistryReachable"), "True/Polled");
     }},

    // --- Jobs -----------------------------------------------------------------------------
    {"ActiveJobNobodyReportedIsRequestedAgainUnderItsName",
     [](Fixture& f) { f.Active(); },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_FALSE(d.converge_is_new);
       EXPECT_EQ(d.converge->job_name(), f.in.status.active_job->name);
       EXPECT_EQ(d.status.job_sequence, f.in.status.job_sequence);
       EXPECT_EQ(d.requeue_after, f.options.active_job_recheck);
     }},
    {"ActiveJobReportedRunningIsLeftAlone",
     [](Fixture& f) {
       f.Active();
       f.in.active_job_reported = true;
       f.in.job_results = {f.Result(f.in.status.active_job->name, pb::JOB_PHASE_RUNNING)};
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.status.active_job, f.in.status.active_job);
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/Converging");
       EXPECT_TRUE(d.consumed.empty());
     }},
    {"SucceededJobIsMergedOnce",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_SUCCEEDED)};
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_FALSE(d.status.active_job.has_value());
       EXPECT_EQ(d.status.last_applied_tag, "1.1.0");
       EXPECT_EQ(d.status.last_applied_digest, "sha256:11");
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       ASSERT_EQ(d.status.history.size(), 1u);
       EXPECT_EQ(d.status.history[0].result, api::JobResult::kSucceeded);
       EXPECT_EQ(d.status.history[0].job_name, f.in.status.active_job->name);
       EXPECT_THAT(d.consumed, ::testing::ElementsAre(f.in.status.active_job->name));
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("ConvergeSucceeded"));
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"SucceededJobsHistoryAndEventCarryTheDeployReportsNumbers",
     [](Fixture& f) {
       const std::string name = f.Active();
       pb::JobObservation job = f.Result(name, pb::JOB_PHASE_SUCCEEDED);
       pb::DeployReport& report = *job.mutable_deploy_report();
       report.set_status("deployed");
       report.set_revision(3);
       report.set_completed_operations(4);
       report.set_canceled_operations(0);
       report.set_failed_operations(0);
       f.in.job_results = {job};
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_EQ(d.status.history.size(), 1u);
       EXPECT_EQ(d.status.history[0].message,
                 "deployed: revision 3, 4 completed, 0 canceled, 0 failed operations");
       ASSERT_EQ(d.events.size(), 1u);
       EXPECT_THAT(d.events[0].message, HasSubstr("(revision 3, 4 completed, 0 canceled, 0 failed operations)"));
     }},
    {"FailedJobWithAReportSaysItsNumbers",
     [](Fixture& f) {
       const std::string name = f.Active();
       pb::JobObservation job = f.Result(name, pb::JOB_PHASE_FAILED);
       pb::DeployReport& report = *job.mutable_deploy_report();
       report.set_status("failed");
       report.set_revision(2);
       report.set_completed_operations(1);
       report.set_failed_operations(1);
       f.in.job_results = {job};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_THAT(d.status.history[0].message,
                   HasSubstr("(deploy report: failed; revision 2, 1 completed, 0 canceled, 1 failed operations)"));
     }},
    {"HistoryRecordsTheOutcomeAsData",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.status.drift_correction_pending = true;  // a correcting apply
       pb::JobObservation job = f.Result(name, pb::JOB_PHASE_FAILED);
       *job.mutable_started_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(kNow - absl::Seconds(65)));
       pb::DeployReport& report = *job.mutable_deploy_report();
       report.set_status("failed");
       report.set_revision(7);
       report.set_completed_operations(3);
       report.set_canceled_operations(2);
       report.set_failed_operations(12);
       for (int i = 0; i < 12; ++i) report.add_failed_operation_names(absl::StrCat("create ConfigMap/c", i));
       // A tail longer than the limit, whose cut would split a two-byte character.
       std::string tail = "x";
       for (size_t i = 0; i < api::kHistoryLogTailLimit; ++i) tail += "\xc3\xa9";
       job.set_log_tail(tail + "end");
       f.in.job_results = {job};
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_EQ(d.status.history.size(), 1u);
       const api::HistoryEntry& entry = d.status.history[0];
       EXPECT_TRUE(entry.drift_correction);
       EXPECT_EQ(entry.revision, 7);
       EXPECT_EQ(entry.report_status, "failed");
       EXPECT_EQ(entry.completed_operations, 3u);
       EXPECT_EQ(entry.canceled_operations, 2u);
       EXPECT_EQ(entry.failed_operations, 12u);
       ASSERT_EQ(entry.failed_operation_names.size(), api::kFailedOperationNamesLimit);
       EXPECT_EQ(entry.failed_operation_names[0], "create ConfigMap/c0");
       EXPECT_LE(entry.log_tail.size(), api::kHistoryLogTailLimit);
       EXPECT_TRUE(absl::EndsWith(entry.log_tail, "end"));
       EXPECT_TRUE(absl::StartsWith(entry.log_tail, "\xc3\xa9")) << "cut on a character boundary";
       EXPECT_EQ(api::BundleStatusToJson(d.status)["history"][0]["durationSeconds"], 60);
       EXPECT_NO_THROW(api::BundleStatusToJson(d.status).dump());
     }},
    {"SucceededJobKeepsNoLogTail",
     [](Fixture& f) {
       const std::string name = f.Active();
       pb::JobObservation job = f.Result(name, pb::JOB_PHASE_SUCCEEDED);
       job.set_log_tail("all fine");
       f.in.job_results = {job};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_TRUE(d.status.history[0].log_tail.empty());
       EXPECT_FALSE(d.status.history[0].drift_correction);
     }},
    {"SucceededJobWithoutAReportIsJustDeployed",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_SUCCEEDED)};
     },
     [](const Fixture&, const Decision& d) { EXPECT_EQ(d.status.history[0].message, "deployed"); }},
    {"FailedJobStartsTheBackoff",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.consecutive_failures, 1);
       ASSERT_TRUE(d.status.next_retry_time.has_value());
       EXPECT_EQ(*d.status.next_retry_time, kNow - absl::Seconds(5) + absl::Seconds(30));
       EXPECT_EQ(d.status.history[0].result, api::JobResult::kFailed);
       EXPECT_THAT(d.status.last_error_message, HasSubstr("render failed"));
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/RetryBackoff");
       EXPECT_THAT(d.status.FindCondition("Reconciling")->message, HasSubstr("retrying at 2027-01-15T08:00:25Z"));
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.requeue_after, absl::Seconds(25));
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("ConvergeFailed"));
     }},
    {"BackoffStatusDoesNotChangeWhileWaiting",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED)};
       f.in.status = Decide(f.in, f.options).status;
       f.in.job_results.clear();
       f.in.now = kNow + absl::Seconds(17);
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(api::BundleStatusToJson(d.status), api::BundleStatusToJson(f.in.status));
       EXPECT_EQ(d.requeue_after, absl::Seconds(8));
     }},
    {"BackoffElapsedRetriesWithANewJob",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED)};
       f.in.status = Decide(f.in, f.options).status;
       f.in.job_results.clear();
       f.in.now = kNow + absl::Seconds(30);
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_TRUE(d.converge_is_new);
       EXPECT_NE(d.converge->job_name(), f.in.status.history[0].job_name);
       EXPECT_EQ(d.status.job_sequence, f.in.status.job_sequence + 1);
     }},
    {"FifthFailureTurnsFailed",
     [](Fixture& f) {
       f.in.status.consecutive_failures = 4;
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.consecutive_failures, 5);
       EXPECT_EQ(d.status.phase, api::Phase::kFailed);
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/ConvergeFailed");
       EXPECT_EQ(*d.status.next_retry_time, kNow - absl::Seconds(5) + absl::Minutes(8));
     }},
    {"BackoffIsCapped",
     [](Fixture& f) {
       f.in.status.consecutive_failures = 11;
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(*d.status.next_retry_time, kNow - absl::Seconds(5) + absl::Minutes(10));
     }},
    {"VanishedJobCountsAsAFailure",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_VANISHED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.history[0].result, api::JobResult::kVanished);
       EXPECT_EQ(d.status.consecutive_failures, 1);
       EXPECT_THAT(d.status.last_error_message, HasSubstr("disappeared"));
     }},
    {"RefusedRequestIsAskedAgainLaterAndIsNoFailure",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.refusals = {{name, "converger c1 is at capacity (5 of 5 Jobs running)"}};
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_FALSE(d.status.active_job.has_value());
       EXPECT_EQ(d.status.consecutive_failures, 0);
       EXPECT_EQ(*d.status.next_retry_time, kNow + f.options.recheck_interval);
       EXPECT_THAT(d.status.last_error_message, HasSubstr("at capacity"));
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "True/RetryBackoff");
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("ConvergeRefused"));
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"RefusedRequestIsRetriedWithAFreshName",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.refusals = {{name, "busy"}};
       f.in.status = Decide(f.in, f.options).status;
       f.in.refusals.clear();
       f.in.now = kNow + f.options.recheck_interval;
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.status.job_sequence, f.in.status.job_sequence + 1);
     }},
    {"RefusalOfAnotherJobIsIgnored",
     [](Fixture& f) {
       f.Active();
       f.in.active_job_reported = true;
       f.in.refusals = {{"web-a-someoldjob", "busy"}};
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(d.status.active_job, f.in.status.active_job);
       EXPECT_TRUE(d.consumed.empty());
       EXPECT_TRUE(d.events.empty());
     }},
    {"SuccessAfterFailuresResetsTheCount",
     [](Fixture& f) {
       f.in.status.consecutive_failures = 6;
       f.in.status.next_retry_time = kNow - absl::Minutes(1);
       f.in.status.phase = api::Phase::kFailed;
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_SUCCEEDED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.consecutive_failures, 0);
       EXPECT_FALSE(d.status.next_retry_time.has_value());
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Synced");
     }},
    {"NewTagWhileAJobRunsWaitsForIt",
     [](Fixture& f) {
       f.Active();
       f.in.active_job_reported = true;
       f.SetTags({"1.0.0", "1.1.0", "1.2.0"});
       f.in.registry.digests["1.2.0"] = "sha256:12";
       f.in.status.latest_tag = "1.1.0";
       f.in.status.latest_digest = "sha256:11";
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.status.latest_tag, "1.2.0");
       EXPECT_EQ(d.status.active_job, f.in.status.active_job);
     }},
    {"ResultOfAnOlderTagThenDeploysTheNewOne",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.SetTags({"1.0.0", "1.1.0", "1.2.0"});
       f.in.registry.digests["1.2.0"] = "sha256:12";
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_SUCCEEDED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.last_applied_tag, "1.1.0");
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->tag(), "1.2.0");
     }},

    // --- replays ----------------------------------------------------------------------------
    {"SameResultTwiceIsMergedOnce",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED)};
       f.in.status = Decide(f.in, f.options).status;  // merged; job_results keeps the replay
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(d.status.consecutive_failures, 1);
       EXPECT_EQ(d.status.history.size(), f.in.status.history.size());
       EXPECT_TRUE(d.consumed.empty());
       EXPECT_TRUE(d.events.empty());
     }},
    {"ReplayAfterRestartDoesNotMoveTheAppliedTagBack",
     [](Fixture& f) {
       f.in.registry.digests["1.0.0"] = "sha256:10";
       f.Deployed("1.1.0", 3);
       pb::JobObservation old = f.Result("web-a-old-1.0.0", pb::JOB_PHASE_SUCCEEDED);
       old.set_tag("1.0.0");
       f.in.job_results = {old, f.Result("web-a-old-failed", pb::JOB_PHASE_FAILED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.last_applied_tag, "1.1.0");
       EXPECT_EQ(d.status.consecutive_failures, 0);
       EXPECT_TRUE(d.consumed.empty());
     }},
    {"ResultOfAnOlderJobWhileANewerRunsIsIgnored",
     [](Fixture& f) {
       f.Deployed();
       const std::string first = f.in.status.history[0].job_name;
       f.in.registry.digests["1.1.0"] = "sha256:11-new";
       f.Active();
       f.in.active_job_reported = true;
       f.in.job_results = {f.Result(first, pb::JOB_PHASE_FAILED)};
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(d.status.active_job, f.in.status.active_job);
       EXPECT_EQ(d.status.consecutive_failures, 0);
       EXPECT_EQ(d.status.history.size(), 1u);
     }},
    {"ReplayedDriftResultIsNotCountedAgain",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.now = kNow + absl::Minutes(20);
       const std::string name = f.Active(api::JobKind::kDriftCheck);
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_DRIFTED)};
       f.in.status = Decide(f.in, f.options).status;  // merged: correction requested
       f.in.active_job_reported = true;
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.drift_corrections, 1);
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_TRUE(d.events.empty());
     }},
    {"RestartBeforeTheFirstPollChangesNothing",
     [](Fixture& f) {
       f.Deployed();
       f.in.registry = {};
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(api::BundleStatusToJson(d.status), api::BundleStatusToJson(f.in.status));
       EXPECT_FALSE(d.converge.has_value());
       ASSERT_TRUE(d.track.has_value());
       EXPECT_THAT(d.track->watched_tags(), ::testing::ElementsAre("1.1.0"));
     }},
    {"RestartWithAJobInFlightRequestsItAgain",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.registry = {};
       f.in.status.latest_tag = "1.1.0";
       f.in.status.latest_digest = "sha256:11";
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->job_name(), f.in.status.active_job->name);
       EXPECT_FALSE(d.converge_is_new);
     }},

    // --- drift ----------------------------------------------------------------------------
    {"DriftCheckNotDueYet",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.now = kNow + absl::Minutes(5);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.requeue_after, absl::Minutes(10));
     }},
    {"DriftCheckDueRunsAPlanJob",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.now = kNow + absl::Minutes(15);
     },
     [](const Fixture& f, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->kind(), pb::JOB_KIND_DRIFT_CHECK);
       EXPECT_EQ(d.status.job_sequence, f.in.status.job_sequence + 1);
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Synced");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "False/DriftCheck");
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_TRUE(d.events.empty());
     }},
    {"DriftCheckInSync",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.now = kNow + absl::Minutes(15);
       const std::string name = f.Active(api::JobKind::kDriftCheck);
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_SUCCEEDED, pb::DRIFT_RESULT_IN_SYNC)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Drifted"), "False/InSync");
       EXPECT_EQ(*d.status.last_drift_check_time, kNow + absl::Minutes(15) - absl::Seconds(5));
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_FALSE(d.status.active_job.has_value());
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
     }},
    {"DriftDetectedIsCorrectedAtOnce",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.now = kNow + absl::Minutes(15);
       const std::string name = f.Active(api::JobKind::kDriftCheck);
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_DRIFTED)};
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Drifted"), "True/DriftDetected");
       EXPECT_EQ(d.status.drift_corrections, 1);
       EXPECT_TRUE(d.status.drift_correction_pending);
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->kind(), pb::JOB_KIND_APPLY);
       EXPECT_EQ(d.converge->tag(), "1.1.0");
       EXPECT_EQ(d.status.job_sequence, f.in.status.job_sequence + 1);
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/Converging");
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("DriftDetected", "ConvergeStarted"));
     }},
    {"DriftCheckErrorIsReportedNotCorrected",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.now = kNow + absl::Minutes(15);
       const std::string name = f.Active(api::JobKind::kDriftCheck);
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_ERROR)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Drifted"), "Unknown/DriftCheckFailed");
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("DriftCheckFailed"));
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
       EXPECT_EQ(d.status.consecutive_failures, 0);
     }},
    {"DriftCorrectionSucceeded",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.status.drift_correction_pending = true;
       f.in.status.drift_corrections = 1;
       f.in.status.SetCondition({.type = "Drifted", .status = "True", .reason = "DriftDetected"}, kNow);
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_SUCCEEDED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_TRUE(d.drift_corrected);
       EXPECT_FALSE(d.status.drift_correction_pending);
       EXPECT_EQ(ConditionOf(d, "Drifted"), "False/DriftCorrected");
       EXPECT_THAT(EventReasons(d), ::testing::ElementsAre("DriftCorrected", "ConvergeSucceeded"));
       EXPECT_EQ(d.status.phase, api::Phase::kSynced);
     }},
    {"SecondDriftOnTheSameTagIsCorrectedWithANewJob",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.status.drift_corrections = 1;  // corrected once already
       f.in.status.history.insert(f.in.status.history.begin(), {.tag = "1.1.0", .job_name = "web-a-correction1"});
       f.in.now = kNow + absl::Minutes(15);
       const std::string name = f.Active(api::JobKind::kDriftCheck);
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_DRIFTED)};
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.converge->kind(), pb::JOB_KIND_APPLY);
       EXPECT_EQ(d.status.drift_corrections, 2);
       EXPECT_NE(d.converge->job_name(), "web-a-correction1");
     }},
    {"DriftBeyondMaxRetriesIsLeftForAPerson",
     [](Fixture& f) {
       f.Spec()["converge"]["driftDetection"]["enabled"] = true;
       f.Reparse();
       f.Deployed();
       f.in.status.drift_corrections = 2;  // maxRetries 2
       f.in.now = kNow + absl::Minutes(15);
       const std::string name = f.Active(api::JobKind::kDriftCheck);
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED, pb::DRIFT_RESULT_DRIFTED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.status.phase, api::Phase::kFailed);
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/Drifted");
       EXPECT_THAT(d.status.FindCondition("Drifted")->message, HasSubstr("maxRetries 2 reached"));
     }},
    {"DriftDisabledNeverChecks",
     [](Fixture& f) {
       f.Deployed();
       f.in.now = kNow + absl::Hours(48);
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(d.requeue_after, absl::ZeroDuration());
     }},

    // --- suspend ---------------------------------------------------------------------------
    {"SuspendedDeployedBundleStopsPollingAndStaysReady",
     [](Fixture& f) {
       f.Deployed();
       f.Spec()["suspend"] = true;
       f.in.generation = 2;
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_FALSE(d.track.has_value());
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Suspended");
       EXPECT_EQ(ConditionOf(d, "Reconciling"), "False/Suspended");
     }},
    {"SuspendedNewBundleIsNotReady",
     [](Fixture& f) {
       f.Spec()["suspend"] = true;
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(ConditionOf(d, "Ready"), "False/Suspended");
       EXPECT_FALSE(d.converge.has_value());
     }},
    {"SuspendedBundleStillRecordsItsRunningJob",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.Spec()["suspend"] = true;
       f.Reparse();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_SUCCEEDED)};
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_EQ(d.status.last_applied_tag, "1.1.0");
       EXPECT_FALSE(d.status.active_job.has_value());
       EXPECT_EQ(ConditionOf(d, "Ready"), "True/Suspended");
     }},
    {"ResumedBundleDeploysWhatIsNew",
     [](Fixture& f) {
       f.Spec()["suspend"] = true;
       f.Reparse();
       f.in.status = Decide(f.in, f.options).status;
       f.Spec()["suspend"] = false;
       f.in.generation = 2;
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       ASSERT_TRUE(d.track.has_value());
     }},

    // --- reconcile-requested-at and generations -------------------------------------------
    {"ReconcileRequestPollsNow",
     [](Fixture& f) {
       f.Deployed();
       f.in.reconcile_requested_at = "2026-12-01T10:00:00Z";
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_TRUE(d.poll_now);
       EXPECT_EQ(d.status.last_handled_reconcile_at, "2026-12-01T10:00:00Z");
     }},
    {"HandledReconcileRequestDoesNotPollAgain",
     [](Fixture& f) {
       f.Deployed();
       f.in.reconcile_requested_at = "2026-12-01T10:00:00Z";
       f.in.status.last_handled_reconcile_at = "2026-12-01T10:00:00Z";
     },
     [](const Fixture&, const Decision& d) { EXPECT_FALSE(d.poll_now); }},
    {"SpecEditEndsARetryBackoff",
     [](Fixture& f) {
       const std::string name = f.Active();
       f.in.job_results = {f.Result(name, pb::JOB_PHASE_FAILED)};
       f.in.status = Decide(f.in, f.options).status;
       f.in.job_results.clear();
       f.Spec()["converge"]["resourceLimits"] = {{"memory", "2Gi"}};
       f.in.generation = 2;
       f.Reparse();
     },
     [](const Fixture&, const Decision& d) {
       ASSERT_TRUE(d.converge.has_value());
       EXPECT_EQ(d.status.observed_generation, 2);
       for (const api::Condition& c : d.status.conditions) EXPECT_EQ(c.observed_generation, 2) << c.type;
     }},
    {"ReadyTransitionTimeSurvivesReconciles",
     [](Fixture& f) {
       f.Deployed();
       f.in.now = kNow + absl::Hours(1);
       f.Fail(1);
     },
     [](const Fixture& f, const Decision& d) {
       EXPECT_EQ(d.status.FindCondition("Ready")->last_transition_time,
                 f.in.status.FindCondition("Ready")->last_transition_time);
     }},
    {"ConvergingNeverFlipsReadyWithinOneDecision",
     [](Fixture& f) {
       f.Deployed();
       f.in.registry.digests["1.1.0"] = "sha256:11-new";
       f.in.now = kNow + absl::Hours(1);
     },
     [](const Fixture&, const Decision& d) {
       const api::Condition* ready = d.status.FindCondition("Ready");
       EXPECT_EQ(ready->status, "False");
       EXPECT_EQ(ready->last_transition_time, kNow + absl::Hours(1));
     }},

    // --- deletion --------------------------------------------------------------------------
    {"DeletionWithAJobRunningFinalizesAndRequestsNothing",
     [](Fixture& f) {
       f.Active();
       f.in.deleting = true;
     },
     [](const Fixture&, const Decision& d) {
       EXPECT_TRUE(d.finalize);
       EXPECT_FALSE(d.converge.has_value());
       EXPECT_FALSE(d.track.has_value());
       EXPECT_TRUE(d.events.empty());
     }},
};

INSTANTIATE_TEST_SUITE_P(Table, DecideTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(DecideTableTest, HasAtLeastSixtyCases) { EXPECT_GE(std::size(kCases), 60u); }

}  // namespace
}  // namespace werf::controller
