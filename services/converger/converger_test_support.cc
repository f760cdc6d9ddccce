#include "services/converger/converger_test_support.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "test/integration/testbed/testbed_support.h"
#include "test/support/admin_client.h"
#include "test/support/crd.h"
#include "test/support/test_namespace.h"

namespace werf::converger::testing {

using nlohmann::json;

absl::Status CreateNamespace(absl::string_view ns, const test_support::NamespaceOptions& options) {
  ASSIGN_OR_RETURN(const std::shared_ptr<kube::RestClient> client, test_support::AdminClient());
  RETURN_IF_ERROR(test_support::CreateNamespace(*client, ns, options));
  return testbed::ApplyYaml(absl::StrCat("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: "
                                         "werf-deploy\n  namespace: ",
                                         ns, "\n"));
}

void DeleteNamespace(absl::string_view ns) {
  absl::StatusOr<std::shared_ptr<kube::RestClient>> client = test_support::AdminClient();
  if (client.ok()) (void)test_support::DeleteNamespace(**client, ns);
}

absl::StatusOr<std::string> CreateBundle(absl::string_view ns, absl::string_view name) {
  // Before every bundle, so only when missing: re-applying it would undo, again and again,
  // a variant another suite on the same test bed installed.
  RETURN_IF_ERROR(test_support::InstallWerfBundleCrd({.replacements = {}, .only_if_absent = true}));
  RETURN_IF_ERROR(testbed::ApplyYaml(absl::StrCat(
      "apiVersion: werf.io/v1alpha1\nkind: WerfBundle\nmetadata:\n  name: ", name, "\n  namespace: ", ns,
      "\nspec:\n  registry:\n    url: registry.example.com/team/", name,
      "\n  converge:\n    serviceAccountName: werf-deploy\n")));
  return testbed::GetJsonPath({"werfbundle", std::string(name), std::string(ns)}, "{.metadata.uid}");
}

pb::ConvergeRequest ApplyRequest(absl::string_view bundle_namespace, absl::string_view bundle_name,
                                 absl::string_view target_namespace, absl::string_view tag) {
  pb::ConvergeRequest request;
  request.mutable_bundle()->set_namespace_(std::string(bundle_namespace));
  request.mutable_bundle()->set_name(std::string(bundle_name));
  // The converger starts Jobs only for bundles that exist, so the request names a real one.
  absl::StatusOr<std::string> uid = CreateBundle(bundle_namespace, bundle_name);
  request.mutable_bundle()->set_uid(uid.ok() ? *uid : testbed::UniqueName("uid"));
  request.set_kind(pb::JOB_KIND_APPLY);
  request.set_repository("registry.example.com/team/" + std::string(bundle_name));
  request.set_tag(std::string(tag));
  request.set_digest("sha256:" + std::string(64, 'a'));
  request.set_release(std::string(bundle_name));
  request.set_target_namespace(std::string(target_namespace));
  request.set_service_account_name("werf-deploy");
  request.mutable_timeout()->set_seconds(300);
  request.set_log_retention_days(7);
  request.set_config_hash(testbed::UniqueName("cfg"));
  request.set_generation(1);
  return request;
}

absl::StatusOr<json> GetObject(absl::string_view kind, absl::string_view ns, absl::string_view name) {
  ASSIGN_OR_RETURN(
      const std::string out,
      testbed::Kubectl({"get", std::string(kind), std::string(name), "-n", std::string(ns), "-o", "json"}));
  return json::parse(out);
}

absl::StatusOr<std::vector<json>> ListObjects(absl::string_view kind, absl::string_view ns,
                                              absl::string_view selector) {
  std::vector<std::string> args = {"get", std::string(kind), "-l", std::string(selector), "-o", "json"};
  if (ns.empty()) {
    args.push_back("--all-namespaces");
  } else {
    args.insert(args.end(), {"-n", std::string(ns)});
  }
  ASSIGN_OR_RETURN(const std::string out, testbed::Kubectl(args));
  return json::parse(out)["items"].get<std::vector<json>>();
}

absl::StatusOr<std::unique_ptr<test_support::ChildProcess>> StartConverger(const std::string& binary,
                                                                           const std::vector<std::string>& args) {
  std::vector<std::string> argv = {binary, "--grpc_address=127.0.0.1:0", "--http_address=127.0.0.1:0",
                                   "--drain_timeout=2s"};
  argv.insert(argv.end(), args.begin(), args.end());
  test_support::ChildProcessOptions options;
  options.name = "werf-converger";
  options.stderr_to = test_support::ChildOutput::TempFile();
  options.poll_interval = absl::Milliseconds(100);
  return test_support::ChildProcess::Start(std::move(argv), std::move(options));
}

}  // namespace werf::converger::testing
