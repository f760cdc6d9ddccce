// Helpers for the converger's integration tests on the test bed.
#ifndef WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_TEST_SUPPORT_H_
#define WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "test/support/child_process.h"
#include "test/support/test_namespace.h"
#include "nlohmann/json.hpp"
#include "werf/operator/v1/hub.pb.h"

namespace werf::converger::testing {

namespace pb = ::werf::operator_::v1;

// Creates a namespace (test_support::CreateNamespace, with the test bed's admin client;
// `options` its labels and annotations) and in it the ServiceAccount werf Jobs run as
// ("werf-deploy").
absl::Status CreateNamespace(absl::string_view ns, const test_support::NamespaceOptions& options = {});
// Deletes it without waiting (test clean-up).
void DeleteNamespace(absl::string_view ns);

// Creates a WerfBundle (installing the CRD when missing: test_support::InstallWerfBundleCrd
// with only_if_absent) and returns its uid: Jobs in the bundle's namespace are owned by it,
// and the garbage collector deletes Jobs whose owner does not exist.
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

// The real werf-converger binary as a child process: `binary` with
// --grpc_address/--http_address on free ports, --drain_timeout=2s, then `args`; its stderr
// (JSON log lines; test_support::WaitForLogRecord reads them) goes to a file in
// test_support::TempDir(). SIGKILLed when destroyed.
absl::StatusOr<std::unique_ptr<test_support::ChildProcess>> StartConverger(const std::string& binary,
                                                                           const std::vector<std::string>& args);

}  // namespace werf::converger::testing

#endif  // WERF_OPERATOR_SERVICES_CONVERGER_CONVERGER_TEST_SUPPORT_H_
