// Support for the gateway's integration tests: the real werf-gateway binary as a child
// process against the test bed's API server, and WerfBundles whose status the tests
// write the way the controller would (kubectl patch --subresource=status).
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_INTEGRATION_GATEWAY_TEST_SUPPORT_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_INTEGRATION_GATEWAY_TEST_SUPPORT_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/child_process.h"
#include "test/support/test_namespace.h"

namespace werf::gateway::testing {

// werf-gateway with --kubeconfig of the test bed and free ports (a test_support::ChildProcess);
// stopped when destroyed (SIGTERM, SIGKILL after 15 s). Its stderr (JSON log lines) is
// collected, and echoed with WERF_GATEWAY_TEST_LOGS set.
class GatewayProcess {
 public:
  // Starts the binary and waits for its "serving" line and for /readyz.
  static absl::StatusOr<std::unique_ptr<GatewayProcess>> Start(
      const std::vector<std::string>& extra_flags = {});

  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& http_address() const { return http_address_; }
  pid_t pid() const { return process_->pid(); }

  // SIGTERM, then the exit code (or -1 when it did not exit within `timeout`).
  int Terminate(absl::Duration timeout = absl::Seconds(15)) { return process_->Terminate(timeout); }
  // A size from /proc/<pid>/status in bytes: "VmRSS" (resident now), "VmHWM" (peak).
  absl::StatusOr<int64_t> MemoryBytes(absl::string_view field = "VmRSS") const;
  // CPU time the process has used (user + system), from /proc/<pid>/stat.
  absl::StatusOr<absl::Duration> CpuTime() const;
  std::vector<std::string> LogLines() const { return process_->Lines(test_support::ChildProcess::Stream::kStderr); }

 private:
  explicit GatewayProcess(std::unique_ptr<test_support::ChildProcess> process) : process_(std::move(process)) {}

  std::unique_ptr<test_support::ChildProcess> process_;
  std::string grpc_address_;
  std::string http_address_;
};

// A fresh namespace ("<prefix>-<random>", a test_support::ScopedNamespace), deleted
// (without waiting) by the destructor, which first drops the finalizers of its bundles.
class TestNamespace {
 public:
  static absl::StatusOr<std::unique_ptr<TestNamespace>> Create(absl::string_view prefix);
  ~TestNamespace();
  const std::string& name() const { return namespace_->name(); }

 private:
  explicit TestNamespace(std::unique_ptr<test_support::ScopedNamespace> ns) : namespace_(std::move(ns)) {}
  std::unique_ptr<test_support::ScopedNamespace> namespace_;
};

// Creates (or updates) a WerfBundle with the given labels.
absl::Status ApplyBundle(absl::string_view ns, absl::string_view name,
                         const std::map<std::string, std::string>& labels = {});
// Deletes a WerfBundle without waiting, then drops its finalizers: a controller from
// another test may have added one and be gone.
absl::Status DeleteBundle(absl::string_view ns, absl::string_view name);
// Merges `status` into the bundle's status through the status subresource, as the
// controller writes it.
absl::Status PatchBundleStatus(absl::string_view ns, absl::string_view name,
                               const nlohmann::json& status);

// Who wrote the status of the namespace's bundles, apart from the tests themselves
// (kubectl): a controller reconciling them at the same time overwrites what the tests
// set, and tests explain their failures with it.
std::string ForeignStatusWriters(absl::string_view ns);

// grpcurl -plaintext [args...] <address> [method]; the result whatever the exit code.
absl::StatusOr<testbed::CommandResult> Grpcurl(const std::vector<std::string>& args,
                                               absl::Duration timeout = absl::Seconds(60));

// Splits grpcurl's output (pretty-printed JSON messages one after another) into messages.
std::vector<nlohmann::json> ParseJsonStream(absl::string_view text);

// GET http://<address><path> with curl; the body and status code.
struct HttpAnswer {
  int status = 0;
  std::string body;
  nlohmann::json json;  // the body parsed, or null
};
absl::StatusOr<HttpAnswer> CurlGet(absl::string_view address, absl::string_view path,
                                   const std::vector<std::string>& headers = {});

}  // namespace werf::gateway::testing

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_INTEGRATION_GATEWAY_TEST_SUPPORT_H_
