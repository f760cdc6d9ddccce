// Records core/v1 Events about objects, as client-go's EventRecorder does:
// repeats of the same event (object, type, reason, message) within the
// aggregation window become one Event whose count rises, each object may emit at
// most a burst of events before being limited to a slow refill, and sending runs
// on a background thread so a reconcile never waits for it.
#ifndef WERF_OPERATOR_LIBS_KUBE_EVENT_RECORDER_H_
#define WERF_OPERATOR_LIBS_KUBE_EVENT_RECORDER_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/token_bucket.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"

namespace werf::kube {

struct EventRecorderOptions {
  std::string component{};  // source.component / reportingController, e.g. "werf-controller"
  std::string host{};       // source.host / reportingInstance
  absl::Duration aggregation_window = absl::Minutes(10);
  int burst_per_object = 25;                     // client-go's spam filter
  absl::Duration refill_per_object = absl::Minutes(5);  // one event back per this; <= 0: at once
  size_t queue_limit = 1000;  // beyond this, events are dropped (and counted)
  // Times events for aggregation and the per-object budget (and their timestamps);
  // defaults to common::RealClock(). Must outlive the recorder.
  common::Clock* clock = nullptr;
};

class EventRecorder {
 public:
  EventRecorder(std::shared_ptr<RestClient> client, EventRecorderOptions options);
  ~EventRecorder();  // sends what is queued, then stops
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // `object` is the involved object (apiVersion, kind, metadata). `type` is
  // "Normal" or "Warning"; `reason` is CamelCase.
  void Record(const nlohmann::json& object, absl::string_view type, absl::string_view reason,
              absl::string_view message);

  // Waits until the queue is empty (tests).
  void Flush();
  int64_t dropped() const;

 private:
  struct Pending {
    nlohmann::json involved;
    std::string type, reason, message;
    absl::Time at;
  };
  struct Aggregate {
    std::string event_name;
    std::string event_namespace;
    int count = 0;
    absl::Time last_seen;
  };

  void Run();
  void Send(const Pending& pending);
  bool Allow(const std::string& object_key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<RestClient> client_;
  const EventRecorderOptions options_;
  common::Clock& clock_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool sending_ ABSL_GUARDED_BY(mu_) = false;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Per object, events per second (1 / refill_per_object) up to burst_per_object.
  std::map<std::string, common::TokenBucket> budgets_ ABSL_GUARDED_BY(mu_);
  // Touched only by the sender thread.
  std::map<std::string, Aggregate> aggregates_;
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_EVENT_RECORDER_H_
