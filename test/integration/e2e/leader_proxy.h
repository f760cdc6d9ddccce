// Stands in for the controller's Kubernetes Service: a TCP forwarder on one
// address that sends each new connection to the controller replica that is
// ready (the leader), as kube-proxy does with a Service's ready endpoints.
// Existing connections to a replica that dies break, and workers reconnect.
#ifndef WERF_OPERATOR_TEST_INTEGRATION_E2E_LEADER_PROXY_H_
#define WERF_OPERATOR_TEST_INTEGRATION_E2E_LEADER_PROXY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace werf::e2e {

class LeaderProxy {
 public:
  // `backend` returns the address to route a new connection to ("" when none is ready).
  static absl::StatusOr<std::unique_ptr<LeaderProxy>> Start(std::function<std::string()> backend);
  ~LeaderProxy();
  const std::string& address() const { return address_; }

 private:
  LeaderProxy() = default;
  void Accept();

  std::function<std::string()> backend_;
  int listener_ = -1;
  std::string address_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<std::thread> pipes_ ABSL_GUARDED_BY(mu_);
  std::vector<int> sockets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::e2e

#endif  // WERF_OPERATOR_TEST_INTEGRATION_E2E_LEADER_PROXY_H_
