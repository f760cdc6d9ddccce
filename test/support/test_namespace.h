// Throw-away namespaces: every test works in one of its own, so that tests sharing the
// test bed (and reruns against one that still holds the last run's objects) do not meet.
#ifndef WERF_OPERATOR_TEST_SUPPORT_TEST_NAMESPACE_H_
#define WERF_OPERATOR_TEST_SUPPORT_TEST_NAMESPACE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/kube/rest_client.h"

namespace werf::test_support {

// What a namespace carries from its creation on, so that nothing watching it (the
// controller's namespace informer, admission) ever sees it without: the operator's
// tenancy annotation (werf.io/accept-bundles-from), the test bed's real-node placement
// annotations (scheduler.alpha.kubernetes.io/...), labels.
struct NamespaceOptions {
  std::map<std::string, std::string> labels{};
  std::map<std::string, std::string> annotations{};
};

// Creates namespace `name`.
absl::Status CreateNamespace(kube::RestClient& client, absl::string_view name, const NamespaceOptions& options = {});
// Deletes it without waiting: the namespace controller removes the contents, and nobody
// needs to wait for that.
absl::Status DeleteNamespace(kube::RestClient& client, absl::string_view name);

// A namespace named UniqueName(prefix), created with AdminClient() on construction and
// deleted (without waiting) on destruction. Check ok() before use.
class ScopedNamespace {
 public:
  explicit ScopedNamespace(absl::string_view prefix, const NamespaceOptions& options = {});
  ~ScopedNamespace();
  ScopedNamespace(const ScopedNamespace&) = delete;
  ScopedNamespace& operator=(const ScopedNamespace&) = delete;

  const absl::Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::shared_ptr<kube::RestClient> client_;
  absl::Status status_;
};

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_TEST_NAMESPACE_H_
