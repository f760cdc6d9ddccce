// Webhook events become polls, soon but not at once. A registry sends one event per
// manifest and per tag of a push, a CI pipeline pushes several tags, and a registry
// coming back replays its backlog: events for one assignment key are one poll as long
// as they keep arriving within the quiet period of each other (a debounce), and at
// most `max_delay` after the first, so a stream that never pauses is still polled. The
// poller asks the registry itself, so no event is trusted for what changed, and an
// event arriving after its poll was asked for is news again.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_WEBHOOK_ROUTER_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_WEBHOOK_ROUTER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace werf::controller {

class WebhookRouter {
 public:
  struct Options {
    // A key is polled once no event for it came for this long...
    absl::Duration quiet = absl::Milliseconds(500);
    // ...or this long after its first event, whichever is sooner.
    absl::Duration max_delay = absl::Seconds(5);
    // Null: the wall clock. Must outlive the router.
    common::Clock* clock = nullptr;
  };

  // `poll_now` is called once per coalesced key, on the router's own thread.
  static absl::StatusOr<std::unique_ptr<WebhookRouter>> Create(Options options,
                                                              std::function<void(const std::string&)> poll_now);
  ~WebhookRouter();

  WebhookRouter(const WebhookRouter&) = delete;
  WebhookRouter& operator=(const WebhookRouter&) = delete;

  // An event named the repository of assignment `key`.
  void Route(const std::string& key);

 private:
  struct Pending {
    absl::Time first_event;
    absl::Time due;
  };

  WebhookRouter(Options options, std::function<void(const std::string&)> poll_now);
  void Run();

  const Options options_;
  common::Clock& clock_;
  const std::function<void(const std::string&)> poll_now_;

  absl::Mutex mu_;
  absl::CondVar changed_;
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_WEBHOOK_ROUTER_H_
