#include "test/support/test_namespace.h"

#include "absl/status/statusor.h"
#include "libs/kube/resource.h"
#include "nlohmann/json.hpp"
#include "test/support/admin_client.h"
#include "test/support/unique_name.h"

namespace werf::test_support {

absl::Status CreateNamespace(kube::RestClient& client, absl::string_view name, const NamespaceOptions& options) {
  nlohmann::json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", std::string(name)}}}};
  if (!options.labels.empty()) ns["metadata"]["labels"] = options.labels;
  if (!options.annotations.empty()) ns["metadata"]["annotations"] = options.annotations;
  return client.Create(kube::resources::kNamespaces, "", ns).status();
}

absl::Status DeleteNamespace(kube::RestClient& client, absl::string_view name) {
  return client.Delete(kube::resources::kNamespaces, "", name);
}

ScopedNamespace::ScopedNamespace(absl::string_view prefix, const NamespaceOptions& options)
    : name_(UniqueName(prefix)) {
  absl::StatusOr<std::shared_ptr<kube::RestClient>> client = AdminClient();
  if (!client.ok()) {
    status_ = client.status();
    return;
  }
  client_ = *client;
  status_ = CreateNamespace(*client_, name_, options);
}

ScopedNamespace::~ScopedNamespace() {
  if (client_ == nullptr || !status_.ok()) return;
  (void)DeleteNamespace(*client_, name_);
}

}  // namespace werf::test_support
