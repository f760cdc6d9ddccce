#include "services/controller/notifier.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/backoff.h"
#include "libs/common/logging.h"
#include "libs/kube/api_error.h"
#include "libs/kube/secret_reader.h"
#include "services/controller/metrics.h"

namespace werf::controller {
namespace {

namespace pb = ::werf::operator_::v1;

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string Key(const notify::BundleRef& ref) { return absl::StrCat(ref.ns, "/", ref.name); }

std::string KindLabel(notify::SinkKind kind) {
  std::string label(notify::SinkKindName(kind));
  std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) { return std::tolower(c); });
  return label;
}

}  // namespace

Notifier::Notifier(std::shared_ptr<kube::RestClient> client, std::shared_ptr<http::HttpClient> transport,
                   ManifestAnnotationsReader annotations, NotifierOptions options)
    : client_(std::move(client)),
      transport_(std::move(transport)),
      annotations_(std::move(annotations)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  for (int i = 0; i < std::max(1, options_.threads); ++i) workers_.emplace_back([this] { RunWorker(); });
}

void Notifier::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.SignalAll();
  }
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void Notifier::Update(const notify::BundleRef& ref, std::vector<notify::SinkSpec> sinks,
                      const api::BundleStatus& status, std::optional<pb::TrackRepository> track) {
  const std::string key = Key(ref);
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (sinks.empty()) {
    Drop(key);
    return;
  }
  BundleState& bundle = bundles_[key];
  bundle.ref = ref;
  if (track.has_value()) bundle.track = std::move(track);
  std::vector<notify::Outcome> outcomes = notify::OutcomesOf(status);
  std::set<std::string> current;
  for (const notify::Outcome& outcome : outcomes) current.insert(outcome.id);

  std::map<std::string, SinkState> next;
  for (notify::SinkSpec& spec : sinks) {
    SinkState state;
    if (auto known = bundle.sinks.find(spec.name); known != bundle.sinks.end()) {
      state = std::move(known->second);
      // Outcomes it wanted that are gone from the status before they could be sent.
      for (const notify::Outcome& outcome : bundle.outcomes) {
        if (current.contains(outcome.id) || !outcome.KindFor(state.spec).has_value() ||
            Contains(state.record.delivered, outcome.id)) {
          continue;
        }
        ++state.record.dropped;
        state.record_dirty = true;
        ControllerMetrics().Notification(KindLabel(state.spec.kind), "dropped");
        common::LogWarning("notification dropped: the outcome left the history before it could be delivered",
                           {{"bundle", key}, {"sink", spec.name}, {"outcome", outcome.id}});
      }
    } else {
      const auto recorded = std::find_if(status.notifications.begin(), status.notifications.end(),
                                         [&](const api::NotificationRecord& r) { return r.sink == spec.name; });
      if (recorded != status.notifications.end()) {
        state.record = *recorded;  // what an earlier leader sent
      } else {
        // A new sink: what happened long before it was configured is not news.
        state.record.sink = spec.name;
        for (const notify::Outcome& outcome : outcomes) {
          if (outcome.time < now - options_.backlog_age) state.record.delivered.push_back(outcome.id);
        }
        state.record_dirty = true;
      }
    }
    state.spec = std::move(spec);
    next[state.spec.name] = std::move(state);
  }
  bundle.sinks = std::move(next);
  bundle.outcomes = std::move(outcomes);
  Refresh(key, bundle);
  wake_.SignalAll();
}

void Notifier::Forget(const std::string& bundle_key) {
  absl::MutexLock lock(&mu_);
  Drop(bundle_key);
}

int64_t Notifier::Pending() const {
  absl::MutexLock lock(&mu_);
  return pending_total_;
}

void Notifier::Refresh(const std::string& key, BundleState& bundle) {
  int64_t pending = 0;
  bool busy = false;
  for (const auto& [name, sink] : bundle.sinks) {
    busy = busy || sink.record_dirty || sink.in_flight;
    for (const notify::Outcome& outcome : bundle.outcomes) {
      if (outcome.KindFor(sink.spec).has_value() && !Contains(sink.record.delivered, outcome.id)) ++pending;
    }
  }
  pending_total_ += pending - bundle.pending;
  bundle.pending = pending;
  if (pending > 0 || busy) {
    active_.insert(key);
  } else {
    active_.erase(key);
  }
  ControllerMetrics().notifications_pending.Set(static_cast<double>(pending_total_));
}

void Notifier::Drop(const std::string& key) {
  auto bundle = bundles_.find(key);
  if (bundle == bundles_.end()) return;
  pending_total_ -= bundle->second.pending;
  active_.erase(key);
  bundles_.erase(bundle);
  ControllerMetrics().notifications_pending.Set(static_cast<double>(pending_total_));
}

const notify::Outcome* Notifier::NextOutcome(const BundleState& bundle, const SinkState& state) {
  // Oldest first, so a receiver sees outcomes in the order they happened.
  for (auto it = bundle.outcomes.rbegin(); it != bundle.outcomes.rend(); ++it) {
    if (it->KindFor(state.spec).has_value() && !Contains(state.record.delivered, it->id)) return &*it;
  }
  return nullptr;
}

std::optional<Notifier::Work> Notifier::NextDue(absl::Time now) {
  for (const std::string& key : active_) {
    BundleState& bundle = bundles_.at(key);
    for (auto& [name, sink] : bundle.sinks) {
      if (sink.in_flight) continue;
      const bool send = sink.next_attempt <= now && NextOutcome(bundle, sink) != nullptr;
      const bool write = sink.record_dirty && !bundle.writing && sink.next_attempt <= now;
      if (!send && !write) continue;
      sink.in_flight = true;
      return Work{.bundle_key = key, .sink = name};
    }
  }
  return std::nullopt;
}

std::optional<absl::Time> Notifier::EarliestDue() const {
  std::optional<absl::Time> earliest;
  for (const std::string& key : active_) {
    const BundleState& bundle = bundles_.at(key);
    for (const auto& [name, sink] : bundle.sinks) {
      if (sink.in_flight || (NextOutcome(bundle, sink) == nullptr && !sink.record_dirty)) continue;
      if (!earliest.has_value() || sink.next_attempt < *earliest) earliest = sink.next_attempt;
    }
  }
  return earliest;
}

void Notifier::RunWorker() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (std::optional<Work> work = NextDue(clock_.Now())) {
      mu_.Unlock();
      Attempt(*work);
      mu_.Lock();
      continue;
    }
    const std::optional<absl::Time> due = EarliestDue();
    // Bounded, so a clock step or a missed signal costs at most a second.
    const absl::Time deadline = std::min(due.value_or(absl::InfiniteFuture()), clock_.Now() + absl::Seconds(1));
    clock_.WaitWithDeadline(&mu_, &wake_, deadline);
  }
}

void Notifier::Attempt(const Work& work) {
  std::optional<notify::Outcome> outcome;
  notify::BundleRef ref;
  notify::SinkSpec spec;
  std::optional<pb::TrackRepository> track;
  {
    absl::MutexLock lock(&mu_);
    auto bundle = bundles_.find(work.bundle_key);
    if (bundle == bundles_.end()) return;
    auto sink = bundle->second.sinks.find(work.sink);
    if (sink == bundle->second.sinks.end()) return;
    if (const notify::Outcome* next = NextOutcome(bundle->second, sink->second)) outcome = *next;
    ref = bundle->second.ref;
    spec = sink->second.spec;
    track = bundle->second.track;
  }
  std::optional<notify::DeliveryResult> result;
  if (outcome.has_value()) {
    // The metric is of real time spent delivering, whatever clock decides retries.
    const absl::Time start = absl::Now();
    result = DeliverOne(ref, spec, *outcome, track);
    ControllerMetrics().NotificationSeconds(KindLabel(spec.kind)).Observe(absl::ToDoubleSeconds(absl::Now() - start));
    const char* label = result->kind == notify::DeliveryResult::Kind::kDelivered ? "delivered"
                        : result->kind == notify::DeliveryResult::Kind::kSkipped ? "skipped"
                                                                                  : "failed";
    ControllerMetrics().Notification(KindLabel(spec.kind), label);
    common::LogInfo("notification", {{"bundle", work.bundle_key},
                                     {"sink", spec.name},
                                     {"sink_kind", std::string(notify::SinkKindName(spec.kind))},
                                     {"outcome", outcome->id},
                                     {"result", result->summary}});
  }
  {
    absl::MutexLock lock(&mu_);
    auto bundle = bundles_.find(work.bundle_key);
    if (bundle == bundles_.end()) return;
    auto sink = bundle->second.sinks.find(work.sink);
    if (sink == bundle->second.sinks.end()) return;
    SinkState& state = sink->second;
    state.in_flight = false;
    if (result.has_value()) {
      const absl::Time now = clock_.Now();
      api::NotificationRecord& record = state.record;
      record.last_attempt_time = now;
      record.last_result = result->summary;
      if (result->kind == notify::DeliveryResult::Kind::kFailed) {
        ++record.consecutive_failures;
        absl::Time next = now + RetryDelay(record.consecutive_failures);
        if (result->retry_at.has_value()) next = std::min(*result->retry_at, now + options_.max_retry_after);
        state.next_attempt = next;
      } else {
        record.consecutive_failures = 0;
        record.delivered.insert(record.delivered.begin(), outcome->id);
        // Only ids the status still shows can come up again.
        std::erase_if(record.delivered, [&](const std::string& id) {
          return std::none_of(bundle->second.outcomes.begin(), bundle->second.outcomes.end(),
                              [&](const notify::Outcome& o) { return o.id == id; });
        });
        if (record.delivered.size() > api::kNotificationDeliveredLimit) {
          record.delivered.resize(api::kNotificationDeliveredLimit);
        }
        state.next_attempt = absl::InfinitePast();
      }
      state.record_dirty = true;
    }
    Refresh(work.bundle_key, bundle->second);
  }
  WriteRecords(work.bundle_key);
  absl::MutexLock lock(&mu_);
  wake_.SignalAll();
}

notify::DeliveryResult Notifier::DeliverOne(const notify::BundleRef& ref, const notify::SinkSpec& sink,
                                            const notify::Outcome& outcome,
                                            const std::optional<pb::TrackRepository>& track) {
  notify::DeliveryResult failed;
  failed.kind = notify::DeliveryResult::Kind::kFailed;
  // Read at each delivery: a rotated webhook URL or token is used at once.
  absl::StatusOr<kube::SecretContent> secret =
      kube::ReadSecret(*client_, ref.ns, sink.secret_name,
                       absl::StrCat("notification sink \"", sink.name, "\""), "the controller");
  if (!secret.ok()) {
    failed.summary = std::string(secret.status().message());
    return failed;
  }
  const auto value = [&](const char* key) {
    auto it = secret->data.find(key);
    return it == secret->data.end() ? std::string() : it->second;
  };
  const notify::SinkSecret sink_secret{.url = value("url"), .token = value("token"), .signing_key = value("signingKey")};
  if (const std::string missing = notify::MissingSecretKey(sink.kind, sink_secret); !missing.empty()) {
    failed.summary = absl::StrCat("Secret \"", sink.secret_name, "\" in namespace \"", ref.ns, "\" has no key \"",
                                  missing, "\": add it for the ", notify::SinkKindName(sink.kind), " sink");
    return failed;
  }
  std::optional<std::map<std::string, std::string>> annotations;
  if (sink.kind == notify::SinkKind::kGitHub) {
    const std::string reference = outcome.digest.empty() ? outcome.tag : outcome.digest;
    {
      absl::MutexLock lock(&mu_);
      if (auto cached = annotations_cache_.find(reference); cached != annotations_cache_.end()) {
        annotations = cached->second;
      }
    }
    if (!annotations.has_value() && track.has_value() && !reference.empty() && annotations_) {
      absl::StatusOr<std::map<std::string, std::string>> read = annotations_(*track, reference);
      if (!read.ok()) {
        failed.summary = absl::StrCat("cannot read the bundle manifest's annotations: ", read.status().message());
        return failed;
      }
      annotations = *read;
      if (!outcome.digest.empty()) {
        absl::MutexLock lock(&mu_);
        if (annotations_cache_.size() >= 256) annotations_cache_.erase(annotations_cache_.begin());
        annotations_cache_[reference] = *read;
      }
    }
  }
  notify::Message message{.bundle = ref, .outcome = outcome, .kind = *outcome.KindFor(sink)};
  return notify::Deliver(*transport_, sink, sink_secret, message, annotations.has_value() ? &*annotations : nullptr,
                         clock_.Now(), options_.delivery);
}

void Notifier::WriteRecords(const std::string& bundle_key) {
  api::BundleStatus records;
  notify::BundleRef ref;
  {
    absl::MutexLock lock(&mu_);
    auto bundle = bundles_.find(bundle_key);
    if (bundle == bundles_.end() || bundle->second.writing) return;
    bool dirty = false;
    for (auto& [name, sink] : bundle->second.sinks) {
      dirty = dirty || sink.record_dirty;
      sink.record_dirty = false;
      records.notifications.push_back(sink.record);
    }
    if (!dirty) return;
    bundle->second.writing = true;
    ref = bundle->second.ref;
  }
  // A merge patch of the status replaces status.notifications as a whole and nothing
  // else; a reconcile's status update from an older copy fails with Conflict and decides again.
  const nlohmann::json patch = {
      {"status", {{"notifications", api::BundleStatusToJson(records).value("notifications", nlohmann::json::array())}}}};
  const absl::Status written =
      client_->Patch(kube::resources::kWerfBundles, ref.ns, ref.name, kube::PatchType::kMerge, patch, "status")
          .status();
  absl::MutexLock lock(&mu_);
  auto bundle = bundles_.find(bundle_key);
  if (bundle == bundles_.end()) return;
  bundle->second.writing = false;
  if (!written.ok() && !kube::IsApiNotFound(written)) {
    common::LogWarning("cannot record notifications; retrying",
                       {{"bundle", bundle_key}, {"error", written.ToString()}});
    for (auto& [name, sink] : bundle->second.sinks) {
      sink.record_dirty = true;
      sink.next_attempt = std::max(sink.next_attempt, clock_.Now() + absl::Seconds(2));
    }
  }
  Refresh(bundle_key, bundle->second);
}

absl::Duration Notifier::RetryDelay(int failures) const {
  const absl::Duration delay = common::CappedExponentialDelay(options_.retry_base, options_.retry_max, failures);
  // Half fixed, half random: receivers coming back are not hit by every sink at once.
  static thread_local absl::BitGen random;
  const int64_t half = absl::ToInt64Nanoseconds(delay / 2);
  return delay / 2 + absl::Nanoseconds(absl::Uniform<int64_t>(random, 0, half + 1));
}

}  // namespace werf::controller
