// Helpers for the converger's integration tests on the test bed.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_TEST_SUPPORT_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_TEST_SUPPORT_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger::testing {

namespace pb = ::werf::operator_::v1;

// A client for the test bed's API server, from $KUBECONFIG (exported by the test bed).
absl::StatusOr<std::shared_ptr<kube::RestClient>> TestbedClient();

// Creates a namespace with the ServiceAccount werf Jobs run as ("werf-deploy").
absl::Status CreateNamespace(absl::string_view ns);
// Deletes it without waiting (test clean-up).
void DeleteNamespace(absl::string_view ns);

// Creates a WerfBundle (installing the CRD from deploy/ when missing) and returns its
// uid: Jobs in the bundle's namespace are owned by it, and the garbage collector
// deletes Jobs whose owner does not exist.
absl::StatusOr<std::string> CreateBundle(absl::string_view ns, absl::string_view name);

// A valid apply request for bundle `bundle_namespace/bundle_name` into `target_namespace`;
// the bundle uid is made up (set it from CreateBundle when the Job lands in the bundle's namespace).
pb::ConvergeRequest ApplyRequest(absl::string_view bundle_namespace, absl::string_view bundle_name,
                                 absl::string_view target_namespace, absl::string_view tag);

// `kubectl get <kind> <name> -n <ns> -o json`, parsed.
absl::StatusOr<nlohmann::json> GetObject(absl::string_view kind, absl::string_view ns, absl::string_view name);
// `kubectl get <kind> -n <ns> -l <selector> -o json` items ("" namespace: all).
absl::StatusOr<std::vector<nlohmann::json>> ListObjects(absl::string_view kind, absl::string_view ns,
                                                        absl::string_view selector);

// The real werf-converger binary as a child process; stderr (JSON log lines) goes to a file.
class ConvergerProcess {
 public:
  // Starts `binary` with `args` (plus --grpc_address/--http_address on free ports).
  static absl::StatusOr<std::unique_ptr<ConvergerProcess>> Start(const std::string& binary,
                                                                 const std::vector<std::string>& args);
  ~ConvergerProcess();

  // The first log record whose "msg" is `message`, waiting for it.
  absl::StatusOr<nlohmann::json> WaitForLog(absl::string_view message, absl::Duration timeout);
  // SIGKILL, as `kill -9`, and reap.
  void Kill();
  // SIGTERM; the exit code, or -1 when it did not exit within `timeout`.
  int Terminate(absl::Duration timeout);
  pid_t pid() const { return pid_; }

 private:
  ConvergerProcess() = default;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string log_path_;
};

}  // namespace werf::converger::testing

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_TEST_SUPPORT_H_
