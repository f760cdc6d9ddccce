// The whole operator as processes against the test bed: controllers, pollers,
// convergers and a gateway, each the real binary running as its own
// ServiceAccount with the RBAC of deploy/kustomize/base (a minted token), wired
// through the hub.
#ifndef WERF_OPERATOR_TEST_INTEGRATION_E2E_OPERATOR_SYSTEM_H_
#define WERF_OPERATOR_TEST_INTEGRATION_E2E_OPERATOR_SYSTEM_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "test/integration/e2e/leader_proxy.h"
#include "test/integration/e2e/service_process.h"

namespace werf::e2e {

struct SystemOptions {
  int controllers = 1;
  int pollers = 1;
  int convergers = 1;
  bool gateway = true;
  std::vector<std::string> controller_flags{};
  std::vector<std::string> poller_flags{};
  std::vector<std::string> converger_flags{};
};

class OperatorSystem {
 public:
  // Starts everything and waits until a controller leads and the workers are connected.
  static absl::StatusOr<std::unique_ptr<OperatorSystem>> Start(SystemOptions options);
  ~OperatorSystem();

  absl::StatusOr<ServiceProcess*> AddController();
  absl::StatusOr<ServiceProcess*> AddPoller();
  absl::StatusOr<ServiceProcess*> AddConverger();

  std::vector<std::unique_ptr<ServiceProcess>>& controllers() { return controllers_; }
  std::vector<std::unique_ptr<ServiceProcess>>& pollers() { return pollers_; }
  std::vector<std::unique_ptr<ServiceProcess>>& convergers() { return convergers_; }
  ServiceProcess* gateway() { return gateway_.get(); }

  // The running controller whose /readyz answers 200 (the leader), if any.
  ServiceProcess* Leader();
  absl::StatusOr<ServiceProcess*> WaitForLeader(absl::Duration timeout);
  // Waits until the leader's metrics show `pollers` pollers and `convergers` convergers.
  absl::Status WaitForWorkers(int pollers, int convergers, absl::Duration timeout);
  // The hub address the workers dial: a proxy to the ready controller, as a Service.
  const std::string& hub_address() const { return proxy_->address(); }
  const std::string& log_dir() const { return log_dir_; }

 private:
  OperatorSystem() = default;
  absl::StatusOr<std::unique_ptr<ServiceProcess>> Launch(const std::string& kind,
                                                         std::vector<std::string> flags);

  SystemOptions options_;
  std::string log_dir_;
  std::unique_ptr<LeaderProxy> proxy_;
  std::map<std::string, std::string> kubeconfigs_;  // service -> kubeconfig with its own token
  std::string lease_name_;
  int launched_ = 0;
  std::vector<std::unique_ptr<ServiceProcess>> controllers_;
  std::vector<std::unique_ptr<ServiceProcess>> pollers_;
  std::vector<std::unique_ptr<ServiceProcess>> convergers_;
  std::unique_ptr<ServiceProcess> gateway_;
};

}  // namespace werf::e2e

#endif  // WERF_OPERATOR_TEST_INTEGRATION_E2E_OPERATOR_SYSTEM_H_
