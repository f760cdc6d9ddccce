#include "services/poller/repository_tracker.h"

#include <algorithm>
#include <climits>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/backoff.h"
#include "libs/oci/errors.h"
#include "libs/oci/reference.h"

namespace werf::poller {
namespace {

using google::protobuf::util::TimeUtil;

pb::PollFailureReason ReasonFor(oci::ErrorReason reason) {
  switch (reason) {
    case oci::ErrorReason::kUnauthorized: return pb::POLL_FAILURE_REASON_UNAUTHORIZED;
    case oci::ErrorReason::kNotFound: return pb::POLL_FAILURE_REASON_NOT_FOUND;
    case oci::ErrorReason::kTls: return pb::POLL_FAILURE_REASON_TLS;
    case oci::ErrorReason::kRateLimited: return pb::POLL_FAILURE_REASON_RATE_LIMITED;
    case oci::ErrorReason::kUnavailable: return pb::POLL_FAILURE_REASON_UNAVAILABLE;
    case oci::ErrorReason::kInvalidResponse: return pb::POLL_FAILURE_REASON_INVALID_RESPONSE;
    case oci::ErrorReason::kCredentials: return pb::POLL_FAILURE_REASON_CREDENTIALS;
    case oci::ErrorReason::kUnknown: break;
  }
  return pb::POLL_FAILURE_REASON_UNSPECIFIED;
}

}  // namespace

RepositoryTracker::RepositoryTracker(pb::TrackRepository assignment, absl::Duration failure_backoff,
                                     absl::Duration failure_backoff_max)
    : assignment_(std::move(assignment)),
      failure_backoff_(failure_backoff),
      failure_backoff_max_(failure_backoff_max) {}

bool RepositoryTracker::Update(const pb::TrackRepository& assignment) {
  if (assignment.access().SerializeAsString() != assignment_.access().SerializeAsString()) {
    etag_.clear();  // other credentials may see another list
  }
  assignment_ = assignment;
  // Forget digests of tags no longer watched, so re-watching reports them again.
  std::set<std::string> watched(assignment.watched_tags().begin(), assignment.watched_tags().end());
  for (auto it = digests_.begin(); it != digests_.end();) {
    it = watched.contains(it->first) ? std::next(it) : digests_.erase(it);
  }
  for (const std::string& tag : watched) {
    if (!digests_.contains(tag)) return true;
  }
  return false;
}

pb::RepositoryObservation RepositoryTracker::Observation(absl::Time now) const {
  pb::RepositoryObservation observation;
  observation.set_key(assignment_.key());
  *observation.mutable_observed_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(now));
  return observation;
}

void RepositoryTracker::Fail(const absl::Status& error, absl::Time now,
                             std::vector<pb::RepositoryObservation>& out) {
  const oci::ErrorDetails details = oci::GetErrorDetails(error);
  if (details.reason == oci::ErrorReason::kRateLimited && details.retry_after.has_value()) {
    Throttle(error, *details.retry_after, now, out);
    return;
  }
  ++consecutive_failures_;
  retry_after_ = details.retry_after;
  const pb::PollFailureReason reason = ReasonFor(details.reason);
  const std::string message(error.message());
  // Report a new reason or message at once, and every failure up to five so the
  // controller can count them; after that only changes.
  const bool changed = static_cast<int>(reason) != last_failure_reason_ || message != last_error_;
  last_failure_reason_ = static_cast<int>(reason);
  last_error_ = message;
  if (!changed && consecutive_failures_ > 5) return;
  pb::RepositoryObservation observation = Observation(now);
  pb::PollFailed* failed = observation.mutable_poll_failed();
  failed->set_reason(reason);
  failed->set_message(message);
  failed->set_http_status(details.http_status);
  failed->set_consecutive_failures(consecutive_failures_);
  absl::BitGen random;
  *failed->mutable_next_attempt_at() =
      TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(NextPoll(now, random)));
  out.push_back(std::move(observation));
}

void RepositoryTracker::Throttle(const absl::Status& error, absl::Time resumes_at, absl::Time now,
                                 std::vector<pb::RepositoryObservation>& out) {
  retry_after_ = resumes_at;
  throttled_ = true;
  if (resumes_at == reported_resume_) return;
  reported_resume_ = resumes_at;
  pb::RepositoryObservation observation = Observation(now);
  observation.mutable_poll_throttled()->set_message(std::string(error.message()));
  *observation.mutable_poll_throttled()->mutable_resumes_at() =
      TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(resumes_at));
  out.push_back(std::move(observation));
}

std::vector<pb::RepositoryObservation> RepositoryTracker::Poll(oci::RegistryClient& client,
                                                               const oci::RegistryAccess& access,
                                                               const absl::Status& access_error,
                                                               absl::Time now) {
  std::vector<pb::RepositoryObservation> out;
  last_poll_ = now;
  if (!access_error.ok()) {
    Fail(access_error, now, out);
    return out;
  }
  absl::StatusOr<oci::RepositoryRef> repository = oci::RepositoryRef::Parse(assignment_.repository());
  if (!repository.ok()) {
    Fail(oci::MakeError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("registry.url \"", assignment_.repository(),
                                     "\" is not a repository reference: ",
                                     repository.status().message()),
                        {.reason = oci::ErrorReason::kInvalidResponse}),
         now, out);
    return out;
  }
  absl::StatusOr<oci::TagListResult> listed =
      client.ListTags(*repository, access, full_report_ ? "" : etag_);
  if (!listed.ok()) {
    Fail(listed.status(), now, out);
    return out;
  }
  const uint32_t failures_before = consecutive_failures_;
  if (!listed->not_modified) {
    etag_ = listed->etag;
    if (full_report_ || listed->tags != tags_) {
      pb::RepositoryObservation observation = Observation(now);
      pb::TagsChanged* changed = observation.mutable_tags_changed();
      const std::set<std::string> before(tags_.begin(), tags_.end());
      const std::set<std::string> after(listed->tags.begin(), listed->tags.end());
      for (const std::string& tag : listed->tags) {
        changed->add_tags(tag);
        if (!before.contains(tag)) changed->add_added(tag);
      }
      for (const std::string& tag : tags_) {
        if (!after.contains(tag)) changed->add_removed(tag);
      }
      changed->set_truncated(listed->truncated);
      tags_ = std::move(listed->tags);
      out.push_back(std::move(observation));
    }
  }
  // Digests of watched tags: a re-published tag keeps its name but not its digest.
  const std::set<std::string> present(tags_.begin(), tags_.end());
  for (const std::string& tag : assignment_.watched_tags()) {
    if (!present.contains(tag)) continue;
    absl::StatusOr<oci::DigestResult> digest = client.GetDigest(*repository, access, tag);
    if (!digest.ok()) {
      Fail(digest.status(), now, out);
      return out;
    }
    std::string& known = digests_[tag];
    if (known != digest->digest || full_report_) {
      pb::RepositoryObservation observation = Observation(now);
      observation.mutable_digest_changed()->set_tag(tag);
      observation.mutable_digest_changed()->set_digest(digest->digest);
      observation.mutable_digest_changed()->set_previous_digest(known);
      known = digest->digest;
      out.push_back(std::move(observation));
    }
  }
  full_report_ = false;
  if (failures_before > 0 || throttled_) {
    pb::RepositoryObservation observation = Observation(now);
    observation.mutable_poll_recovered()->set_previous_failures(failures_before);
    out.push_back(std::move(observation));
  }
  consecutive_failures_ = 0;
  throttled_ = false;
  reported_resume_ = absl::InfinitePast();
  last_failure_reason_ = -1;
  last_error_.clear();
  retry_after_.reset();
  return out;
}

absl::Time RepositoryTracker::NextPoll(absl::Time now, absl::BitGenRef random) const {
  if (last_poll_ == absl::InfinitePast()) return now;
  absl::Duration interval = absl::Milliseconds(TimeUtil::DurationToMilliseconds(assignment_.poll_interval()));
  if (interval <= absl::ZeroDuration()) interval = absl::Minutes(15);
  if (consecutive_failures_ > 0) {
    const int failures = static_cast<int>(std::min<uint32_t>(consecutive_failures_, INT_MAX));
    interval = std::min(common::CappedExponentialDelay(failure_backoff_, failure_backoff_max_, failures), interval);
  }
  // ±10 %, so repositories added together do not poll together forever.
  const double jitter = absl::Uniform(random, -0.1, 0.1);
  absl::Time next = last_poll_ + interval + interval * jitter;
  // After a pause every repository of the registry is due at once: spread them
  // over a tenth of the interval, or the first seconds bring the next 429.
  if (retry_after_.has_value()) next = std::max(next, *retry_after_ + interval * absl::Uniform(random, 0.0, 0.1));
  return next;
}

}  // namespace werf::poller
