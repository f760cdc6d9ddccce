// Webhook events become polls, soon but not at once: events for one assignment key
// that arrive within the coalescing window cause one poll (a registry sends one
// event per manifest and per tag of a push, and a CI pipeline pushes several tags),
// and the poller asks the registry itself, so no event is trusted for what changed.
#ifndef WERF_OPERATOR_SERVICES_CONTROLLER_WEBHOOK_ROUTER_H_
#define WERF_OPERATOR_SERVICES_CONTROLLER_WEBHOOK_ROUTER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kube/workqueue.h"

namespace werf::controller {

class WebhookRouter {
 public:
  struct Options {
    // Events for a key within this window of the first cause one poll at its end.
    absl::Duration coalesce = absl::Milliseconds(500);
    // Null: the wall clock. Must outlive the router.
    kube::Clock* clock = nullptr;
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
  WebhookRouter(Options options, std::unique_ptr<kube::WorkQueue> queue,
                std::function<void(const std::string&)> poll_now);

  const Options options_;
  // A delaying work queue does the coalescing: a key already due keeps its time.
  const std::unique_ptr<kube::WorkQueue> queue_;
  const std::function<void(const std::string&)> poll_now_;
  std::thread worker_;
};

}  // namespace werf::controller

#endif  // WERF_OPERATOR_SERVICES_CONTROLLER_WEBHOOK_ROUTER_H_
