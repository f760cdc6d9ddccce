// Shared support for the werf_kube integration tests and the informer benchmark, all of
// which run against the real test bed (test/integration/testbed): clients built from the
// test bed's kubeconfig, throw-away namespaces, the test CRD, parallel object creation,
// an informer event recorder, child processes, and the test bed's apiserver process.
// What is not particular to werf_kube comes from test/support.
#ifndef WERF_TEST_INTEGRATION_KUBE_KUBE_TEST_SUPPORT_H_
#define WERF_TEST_INTEGRATION_KUBE_KUBE_TEST_SUPPORT_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/kube/informer.h"
#include "libs/kube/resource.h"
#include "libs/common/testing/status_testing.h"
#include "libs/kube/rest_client.h"
#include "test/support/admin_client.h"
#include "test/support/child_process.h"
#include "test/support/test_namespace.h"
#include "nlohmann/json.hpp"


namespace werf::kube_test {

// widgets.test.werf.io/v1, namespaced, with a status subresource; spec and status keep
// unknown fields. Both tests and the benchmark use it.
inline const kube::Resource kWidgets{"test.werf.io", "v1", "widgets"};

// The test bed's admin client, throw-away namespaces and child processes (test/support).
using ::werf::test_support::AdminClient;
using ::werf::test_support::ChildProcess;
using ::werf::test_support::ScopedNamespace;
using ::werf::test_support::TempDir;

// A client without client-side rate limiting, for setting up many objects fast.
absl::StatusOr<std::shared_ptr<kube::RestClient>> UnthrottledAdminClient();

// Creates (or keeps) the widgets CRD and waits until the API server serves it.
absl::Status EnsureWidgetCrd(kube::RestClient& client);

// {"apiVersion":"v1","kind":"ConfigMap","metadata":{name, labels},"data":data}.
nlohmann::json ConfigMap(absl::string_view name, const std::map<std::string, std::string>& data,
                         const std::map<std::string, std::string>& labels = {});
// A Widget with the given spec.
nlohmann::json Widget(absl::string_view name, const nlohmann::json& spec,
                      const std::map<std::string, std::string>& labels = {});

// Creates make_object(0) ... make_object(count - 1) in `ns` from `threads` threads.
// Returns the first error, if any.
absl::Status CreateInParallel(kube::RestClient& client, const kube::Resource& resource,
                              absl::string_view ns, int count, int threads,
                              const std::function<nlohmann::json(int index)>& make_object);

// metadata.<field> of an object as a string ("" when absent).
std::string MetadataString(const nlohmann::json& object, absl::string_view field);
// data.<key> of a ConfigMap ("" when absent).
std::string DataValue(const nlohmann::json& object, absl::string_view key);

// Records what an informer tells its handlers, as lines such as "add cm-a v=1",
// "update cm-a v=1->v=2", "delete cm-b v=2", where v is data.v of a ConfigMap (or
// spec.v of another object). Thread-safe.
class InformerRecorder {
 public:
  kube::InformerHandlers Handlers();
  std::vector<std::string> Lines() const;
  // Lines about one object name, in order.
  std::vector<std::string> LinesFor(absl::string_view name) const;
  size_t Count() const;
  // Waits until at least `count` lines were recorded.
  absl::Status WaitForCount(size_t count, absl::Duration timeout) const;

 private:
  void Record(std::string line);

  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

// Waits until the informer's store holds exactly `expected` (name -> data.v).
absl::Status WaitForStore(const kube::Informer& informer,
                          const std::map<std::string, std::string>& expected,
                          absl::Duration timeout);
// name -> data.v of every object in the informer's store.
std::map<std::string, std::string> StoreContents(const kube::Informer& informer);

// Starts `argv` with its stdout and stderr in files of TempDir(), named after `name`.
// The process is SIGKILLed and reaped when destroyed if it still runs.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartChild(const std::vector<std::string>& argv,
                                                         absl::string_view name);
// Its stdout split into JSON objects (one per line; lines that are not JSON objects skipped).
std::vector<nlohmann::json> StdoutJsonLines(const ChildProcess& process);

// --- the test bed's processes ------------------------------------------------------

// The pid recorded in $WERF_TESTBED_DIR/pids/<component>.pid ("<pid> <start time>"),
// after checking that the process with that pid is still the one recorded.
absl::StatusOr<pid_t> TestbedComponentPid(absl::string_view component);

// Runs `testbed up` for the test bed of this process (restarts dead components).
absl::Status TestbedUp();

// Whether the test bed's kube-apiserver serves `resource` ("configmaps", "widgets.test.werf.io";
// empty: in general) from its watch cache: read from its command line (--watch-cache=...,
// --watch-cache-sizes=<resource>#0 turns it off for one resource), else from
// WERF_TESTBED_WATCH_CACHE (default on).
bool TestbedWatchCacheEnabled(absl::string_view resource = "");

// Numeric comparison of two resourceVersions (etcd revisions).
int64_t ResourceVersionNumber(absl::string_view resource_version);

}  // namespace werf::kube_test

#endif  // WERF_TEST_INTEGRATION_KUBE_KUBE_TEST_SUPPORT_H_
