#include "libs/kube/event_recorder.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/logging.h"
#include "libs/kube/api_error.h"

namespace werf::kube {
namespace {

std::string Timestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

nlohmann::json ObjectReference(const nlohmann::json& object) {
  const nlohmann::json& metadata = object.at("metadata");
  nlohmann::json ref = {{"apiVersion", object.value("apiVersion", "")},
                        {"kind", object.value("kind", "")},
                        {"name", metadata.value("name", "")},
                        {"uid", metadata.value("uid", "")},
                        {"resourceVersion", metadata.value("resourceVersion", "")}};
  if (metadata.contains("namespace")) ref["namespace"] = metadata["namespace"];
  return ref;
}

}  // namespace

EventRecorder::EventRecorder(std::shared_ptr<RestClient> client, EventRecorderOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()) {
  thread_ = std::thread([this] { Run(); });
}

EventRecorder::~EventRecorder() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool EventRecorder::Allow(const std::string& object_key, absl::Time now) {
  if (options_.burst_per_object < 1) return false;  // no budget at all (a bucket holds at least 1)
  const double rate = options_.refill_per_object > absl::ZeroDuration()
                          ? 1 / absl::ToDoubleSeconds(options_.refill_per_object)
                          : std::numeric_limits<double>::infinity();
  auto it = budgets_.try_emplace(object_key, rate, options_.burst_per_object).first;
  return it->second.TryAcquire(now);
}

void EventRecorder::Record(const nlohmann::json& object, absl::string_view type,
                           absl::string_view reason, absl::string_view message) {
  if (!object.contains("metadata")) return;
  const absl::Time now = clock_.Now();
  const nlohmann::json involved = ObjectReference(object);
  const std::string key = absl::StrCat(involved.value("namespace", ""), "/",
                                       involved.value("name", ""), "/", involved.value("uid", ""));
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.queue_limit || !Allow(key, now)) {
    ++dropped_;
    return;
  }
  queue_.push_back(Pending{involved, std::string(type), std::string(reason), std::string(message), now});
}

void EventRecorder::Flush() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](EventRecorder* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        return self->queue_.empty() && !self->sending_;
      },
      this));
}

int64_t EventRecorder::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void EventRecorder::Run() {
  while (true) {
    Pending pending;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](EventRecorder* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return !self->queue_.empty() || self->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, and everything was sent
      pending = std::move(queue_.front());
      queue_.pop_front();
      sending_ = true;
    }
    Send(pending);
    absl::MutexLock lock(&mu_);
    sending_ = false;
  }
}

void EventRecorder::Send(const Pending& pending) {
  const std::string ns = pending.involved.value("namespace", "default");
  const std::string aggregate_key =
      absl::StrCat(pending.involved.value("uid", ""), "\x1f", pending.type, "\x1f",
                   pending.reason, "\x1f", pending.message);
  // Forget aggregates outside the window so the map stays bounded.
  for (auto it = aggregates_.begin(); it != aggregates_.end();) {
    it = pending.at - it->second.last_seen > options_.aggregation_window ? aggregates_.erase(it)
                                                                          : std::next(it);
  }
  if (auto it = aggregates_.find(aggregate_key); it != aggregates_.end()) {
    Aggregate& aggregate = it->second;
    const nlohmann::json patch = {{"count", aggregate.count + 1},
                                  {"lastTimestamp", Timestamp(pending.at)}};
    const absl::Status patched =
        client_->Patch(resources::kEvents, aggregate.event_namespace, aggregate.event_name,
                       PatchType::kMerge, patch)
            .status();
    if (patched.ok()) {
      ++aggregate.count;
      aggregate.last_seen = pending.at;
      return;
    }
    aggregates_.erase(it);  // the Event is gone (e.g. TTL): create a fresh one
  }
  absl::BitGen random;
  const std::string name = absl::StrFormat("%s.%016x", pending.involved.value("name", "object"),
                                           absl::Uniform<uint64_t>(random));
  const nlohmann::json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"involvedObject", pending.involved},
      {"type", pending.type},
      {"reason", pending.reason},
      {"message", pending.message.substr(0, 1024)},
      {"source", {{"component", options_.component}, {"host", options_.host}}},
      {"reportingComponent", options_.component},
      {"reportingInstance", options_.host},
      {"firstTimestamp", Timestamp(pending.at)},
      {"lastTimestamp", Timestamp(pending.at)},
      {"count", 1}};
  if (absl::Status created = client_->Create(resources::kEvents, ns, event).status(); !created.ok()) {
    common::LogWarning("cannot record event", {{"reason", pending.reason},
                                               {"namespace", ns},
                                               {"error", created.ToString()}});
    return;
  }
  aggregates_[aggregate_key] = Aggregate{name, ns, 1, pending.at};
}

}  // namespace werf::kube
