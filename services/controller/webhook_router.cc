#include "services/controller/webhook_router.h"

#include <utility>

namespace werf::controller {

absl::StatusOr<std::unique_ptr<WebhookRouter>> WebhookRouter::Create(
    Options options, std::function<void(const std::string&)> poll_now) {
  kube::WorkQueueOptions queue_options;
  queue_options.name = "webhook_events";
  queue_options.clock = options.clock;
  absl::StatusOr<std::unique_ptr<kube::WorkQueue>> queue = kube::WorkQueue::Create(std::move(queue_options));
  if (!queue.ok()) return queue.status();
  return std::unique_ptr<WebhookRouter>(new WebhookRouter(options, *std::move(queue), std::move(poll_now)));
}

WebhookRouter::WebhookRouter(Options options, std::unique_ptr<kube::WorkQueue> queue,
                             std::function<void(const std::string&)> poll_now)
    : options_(options), queue_(std::move(queue)), poll_now_(std::move(poll_now)) {
  worker_ = std::thread([this] {
    while (std::optional<std::string> key = queue_->Get()) {
      poll_now_(*key);
      queue_->Done(*key);
    }
  });
}

WebhookRouter::~WebhookRouter() {
  queue_->ShutDown();  // pending polls are dropped: the normal schedule covers them
  worker_.join();
}

void WebhookRouter::Route(const std::string& key) { queue_->AddAfter(key, options_.coalesce); }

}  // namespace werf::controller
