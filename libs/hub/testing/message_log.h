// What one end of a hub stream received, in arrival order, for tests to read and wait
// on: the one record-and-wait mechanism of both hub test doubles (TestHub records the
// workers' ConnectRequests, FakeHubWorker the hub's ConnectResponses). Thread-safe: the
// stream's reader adds while the test's thread waits.
#ifndef WERF_OPERATOR_LIBS_HUB_TESTING_MESSAGE_LOG_H_
#define WERF_OPERATOR_LIBS_HUB_TESTING_MESSAGE_LOG_H_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace werf::hub::testing {

template <typename Message>
class MessageLog {
 public:
  using Matcher = std::function<bool(const Message&)>;

  // `owner` starts every error message ("test hub", "fake hub worker poller-a").
  explicit MessageLog(std::string owner) : owner_(std::move(owner)) {}

  void Add(Message message) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    messages_.push_back(std::move(message));
    added_.SignalAll();
  }

  std::vector<Message> All() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return messages_;
  }

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return messages_.size();
  }

  std::vector<Message> Matching(const Matcher& matches) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    std::vector<Message> out;
    for (const Message& message : messages_) {
      if (matches(message)) out.push_back(message);
    }
    return out;
  }

  // The first message at index >= `from` that `matches`, waiting up to `timeout` of real
  // time for it; DeadlineExceeded when none came.
  absl::StatusOr<Message> WaitFor(const Matcher& matches, absl::Duration timeout, size_t from = 0) const
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + timeout;
    size_t next = from;
    while (true) {
      for (; next < messages_.size(); ++next) {
        if (matches(messages_[next])) return messages_[next];
      }
      if (absl::Now() >= deadline) break;
      added_.WaitWithDeadline(&mu_, deadline);
    }
    return absl::DeadlineExceededError(absl::StrCat(owner_, ": no matching message among ",
                                                    messages_.size() - std::min(from, messages_.size()),
                                                    " received within ", absl::FormatDuration(timeout)));
  }

  // Until at least `count` messages that match have arrived in all; DeadlineExceeded
  // naming `what` and how many came when they did not within `timeout`.
  absl::Status WaitForCount(const Matcher& matches, size_t count, absl::Duration timeout,
                            absl::string_view what) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + timeout;
    auto have = [&] {
      return static_cast<size_t>(std::count_if(messages_.begin(), messages_.end(), matches));
    };
    while (have() < count && absl::Now() < deadline) added_.WaitWithDeadline(&mu_, deadline);
    const size_t got = have();
    if (got >= count) return absl::OkStatus();
    return absl::DeadlineExceededError(absl::StrCat(owner_, ": ", got, " of ", count, " ", what,
                                                    " received within ", absl::FormatDuration(timeout)));
  }

 private:
  const std::string owner_;
  mutable absl::Mutex mu_;
  mutable absl::CondVar added_;
  std::vector<Message> messages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::hub::testing

#endif  // WERF_OPERATOR_LIBS_HUB_TESTING_MESSAGE_LOG_H_
