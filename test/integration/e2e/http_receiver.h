// A loopback HTTP peer for tests of what the operator sends (notifications): it
// records every request and answers with a status, a Retry-After or a delay on demand.
#ifndef WERF_OPERATOR_TEST_INTEGRATION_E2E_HTTP_RECEIVER_H_
#define WERF_OPERATOR_TEST_INTEGRATION_E2E_HTTP_RECEIVER_H_

#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "test/integration/testbed/testbed_support.h"

namespace werf::e2e {

// An HTTP receiver that records every POST and answers as told (by default 200).
class Receiver {
 public:
  struct Request {
    std::string path{};
    std::map<std::string, std::string> headers{};  // lower-case names
    std::string body{};
    absl::Time at{};
    int answered = 0;

    std::string Header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };
  struct Answer {
    int status = 200;
    std::string retry_after{};
    absl::Duration delay = absl::ZeroDuration();
  };

  // `host`: 127.0.0.1 for services running as host processes; the host's end of the real
  // node's veth (10.250.250.1) for the operator's pods.
  explicit Receiver(std::string host = "127.0.0.1") : host_(std::move(host)) {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      Answer answer;
      {
        absl::MutexLock lock(&mu_);
        if (!once_.empty()) {
          answer = once_.front();
          once_.erase(once_.begin());
        } else {
          answer = always_;
        }
      }
      absl::SleepFor(answer.delay);
      Request recorded{.path = req.path, .body = req.body, .at = absl::Now(), .answered = answer.status};
      for (const auto& [name, value] : req.headers) recorded.headers[absl::AsciiStrToLower(name)] = value;
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(std::move(recorded));
      }
      res.status = answer.status;
      if (!answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
      res.set_content(answer.status < 300 ? "ok" : "receiver says no", "text/plain");
    });
    port_ = server_.bind_to_any_port(host_);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const { return absl::StrCat("http://", host_, ":", port_, path); }
  void AnswerAlways(Answer answer) {
    absl::MutexLock lock(&mu_);
    always_ = answer;
  }
  void AnswerOnce(Answer answer) {
    absl::MutexLock lock(&mu_);
    once_.push_back(answer);
  }
  // Requests to `path` answered with 2xx (or all of them).
  std::vector<Request> Received(const std::string& path, bool delivered_only = true) {
    absl::MutexLock lock(&mu_);
    std::vector<Request> out;
    for (const Request& r : requests_) {
      if (r.path == path && (!delivered_only || r.answered < 300)) out.push_back(r);
    }
    return out;
  }
  absl::Status WaitFor(const std::string& path, size_t count, absl::Duration timeout = absl::Seconds(60),
                       bool delivered_only = true) {
    return testbed::WaitFor(absl::StrCat(count, " requests to ", path), [&]() -> absl::StatusOr<bool> {
      return Received(path, delivered_only).size() >= count;
    }, timeout);
  }

 private:
  const std::string host_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  Answer always_;
  std::vector<Answer> once_ ABSL_GUARDED_BY(mu_);
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::e2e

#endif  // WERF_OPERATOR_TEST_INTEGRATION_E2E_HTTP_RECEIVER_H_
