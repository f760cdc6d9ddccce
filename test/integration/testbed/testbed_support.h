// GoogleTest support for tests that run against the real test bed (see README.md here):
// a control plane with kwok nodes and five OCI registries, brought up by the `testbed` script.
//
// Linking werf_testbed_support registers a ::testing::Environment that, before the first
// test, either reuses a running test bed (WERF_TESTBED_ENV names a file holding the output of
// `testbed env`, or WERF_TESTBED_REUSE=1 reuses the one in WERF_TESTBED_DIR) or runs
// `testbed up` (idempotent: a no-op when already up). The test bed is left running for the
// next test binary; `testbed down` stops it. The environment exports the test bed's variables
// (KUBECONFIG, PATH with kubectl/crane/etcdctl, ...) into this process, so every helper and
// every child process sees them.
#ifndef WERF_TEST_INTEGRATION_TESTBED_TESTBED_SUPPORT_H_
#define WERF_TEST_INTEGRATION_TESTBED_TESTBED_SUPPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "test/support/run_command.h"
#include "test/support/unique_name.h"

namespace werf::testbed {

// The variables printed by `testbed env`.
class TestbedEnv {
 public:
  // Parses `export NAME='value'` lines (the format `testbed env` writes).
  static absl::StatusOr<TestbedEnv> Parse(absl::string_view env_sh);

  // The value of NAME, or NotFound naming the variable.
  absl::StatusOr<std::string> Get(absl::string_view name) const;
  // The value of NAME; an empty string when the test bed did not export it.
  std::string Value(absl::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& vars() const { return vars_; }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

// Brings the test bed up or reuses it, once per process (later calls return the same result),
// and exports its variables into this process. Safe to call from any thread.
absl::StatusOr<const TestbedEnv*> EnsureTestbed();

// The test bed of this process. Call only after EnsureTestbed() succeeded (the registered
// environment does that before any test runs); otherwise aborts with the reason.
const TestbedEnv& Env();

// The path of the `testbed` script (WERF_TESTBED_SCRIPT overrides the compiled-in one).
std::string TestbedScript();

// Registers the environment (idempotent). Linking the library already does; call it from
// main() when you link a custom main and want to be explicit.
void RegisterTestbedEnvironment();

// --- commands ------------------------------------------------------------------------

// The tool runner lives in test/support (run_command.h); these names keep the test bed's
// helpers and their many callers spelling it testbed::RunCommand.
using ::werf::test_support::CommandResult;
using ::werf::test_support::RunCommand;
using ::werf::test_support::RunCommandOk;
using ::werf::test_support::RunOptions;

// --- Kubernetes ----------------------------------------------------------------------

// kubectl with the test bed's admin kubeconfig; returns stdout.
absl::StatusOr<std::string> Kubectl(const std::vector<std::string>& args, const RunOptions& options = {});

// kubectl apply -f - (server-side validation; any namespace must be in the YAML).
absl::Status ApplyYaml(absl::string_view yaml);

// An object for the kubectl-based helpers: kind as kubectl accepts it ("job", "pods",
// "configmap"), name, and namespace (empty for cluster-scoped objects).
struct ObjectRef {
  std::string kind;
  std::string name;
  std::string ns = "default";
};

// kubectl get -o jsonpath=<jsonpath> on one object.
absl::StatusOr<std::string> GetJsonPath(const ObjectRef& object, absl::string_view jsonpath);

// Polls `condition` every `interval` until it returns true. An error from `condition` does not
// stop the wait (the object may not exist yet) but is reported on timeout, as DeadlineExceeded
// mentioning `what`.
absl::Status WaitFor(absl::string_view what, absl::FunctionRef<absl::StatusOr<bool>()> condition,
                     absl::Duration timeout, absl::Duration interval = absl::Milliseconds(250));

// Waits until the jsonpath of the object equals `expected`; returns the last value seen.
absl::StatusOr<std::string> WaitForJsonPath(const ObjectRef& object, absl::string_view jsonpath,
                                            absl::string_view expected, absl::Duration timeout);

// Waits until the object no longer exists.
absl::Status WaitForDeleted(const ObjectRef& object, absl::Duration timeout);

// A token for the ServiceAccount through the TokenRequest API (kubectl create token).
// `audiences` empty means the API server's own audience.
absl::StatusOr<std::string> MintServiceAccountToken(absl::string_view ns, absl::string_view service_account,
                                                    absl::Duration lifetime = absl::Hours(1),
                                                    const std::vector<std::string>& audiences = {});

// A ServiceAccount token like the TokenRequest API's, valid until `expires`, for what
// TokenRequest refuses: lifetimes under its 10-minute minimum and times in the past.
// Signed with the test bed's ServiceAccount signing key (pki/sa.key) and bound to the
// ServiceAccount's uid, so the API server accepts it until `expires` (plus the minute of
// clock-skew leeway it allows every ServiceAccount token) and not once the
// ServiceAccount is deleted.
absl::StatusOr<std::string> SignServiceAccountToken(absl::string_view ns, absl::string_view service_account,
                                                    absl::Time expires);

// --- etcd ----------------------------------------------------------------------------

// The current etcd revision (every Kubernetes resourceVersion is one).
absl::StatusOr<int64_t> EtcdRevision();

// Compacts etcd at its current revision (physically) and returns that revision: afterwards a
// watch or list from an older resourceVersion gets 410 Gone.
absl::StatusOr<int64_t> CompactEtcd();

// --- registries ----------------------------------------------------------------------

enum class RegistryFlavour {
  kAnonymous,  // distribution v3, no auth, HTTP
  kBasic,      // distribution v3, htpasswd basic auth, HTTP
  kToken,      // distribution v3, token auth against the test bed's issuer, HTTP
  kTls,        // distribution v3, no auth, HTTPS with a certificate of the test CA
  kV2,         // Debian's docker-registry 2.8, no auth, HTTP
};

absl::string_view FlavourName(RegistryFlavour flavour);

// How to reach one registry. Credentials are empty for anonymous registries; for the token
// registry they are the user allowed to pull, push and delete.
struct Registry {
  RegistryFlavour flavour = RegistryFlavour::kAnonymous;
  std::string host;  // 127.0.0.1:port
  std::string username;
  std::string password;
  std::string ca_file;  // the test CA, for kTls only
  // kTls only, with the real node: the same registry at the node's veth address (its certificate names
  // it too), empty when the host has none. werf speaks plain HTTP to every loopback registry
  // whatever its flags, so a werf-like client verifies TLS only here.
  std::string external_host;
  std::string scheme() const { return flavour == RegistryFlavour::kTls ? "https" : "http"; }
  std::string base_url() const { return scheme() + "://" + host; }
};

absl::StatusOr<Registry> GetRegistry(RegistryFlavour flavour);

// Pushes one tiny single-layer image per tag to <host>/<repository>:<tag> with crane (no
// Docker engine). Every push has its own digest (re-pushing a tag re-publishes it) unless `same_digest`.
absl::Status PushTags(const Registry& registry, absl::string_view repository, const std::vector<std::string>& tags,
                      bool same_digest = false);

// Sets annotations on the manifest of <repository>:<tag> and re-publishes it under the
// same tag (crane mutate -a), as `werf bundle publish` records the commit and source.
absl::Status AnnotateManifest(const Registry& registry, absl::string_view repository, absl::string_view tag,
                              const std::map<std::string, std::string>& annotations);

// crane ls <host>/<repository> with the registry's credentials (follows pagination).
absl::StatusOr<std::vector<std::string>> ListTagsWithCrane(const Registry& registry, absl::string_view repository);

// Environment for a child process that uses `registry` through the docker credential chain
// (crane, werf): DOCKER_CONFIG pointing at a fresh directory whose config.json holds the
// credentials, and SSL_CERT_FILE for the TLS registry. The directory lives until the process ends.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RegistryClientEnv(const Registry& registry);

// --- werf bundles (publish-bundle.sh) -------------------------------------------------

// One published bundle: "<host>/<repository>:<tag>" and its manifest digest.
struct PublishedBundle {
  std::string reference;
  std::string digest;
};

// Publishes `chart` (a chart under test/integration/testbed/bundles: "hello", "broken", "big";
// or a chart directory) to `registry` as <repository>:<tag> for every tag, in the layout
// `werf bundle publish` produces (OCI manifest, helm config media type, one application/tar+gzip
// chart layer, Chart.yaml version = tag). `values_files` are merged into the bundle's values.yaml
// in order, as `werf bundle publish --values` does. kV2 works too.
absl::StatusOr<std::vector<PublishedBundle>> PublishBundle(const Registry& registry, absl::string_view chart,
                                                           absl::string_view repository,
                                                           const std::vector<std::string>& tags,
                                                           const std::vector<std::string>& values_files = {});

// The directory holding the werf stand-in (an executable named `werf`; see werf-standin/README.md).
std::string WerfStandinDir();

// "<prefix>-<random hex>", valid as a Kubernetes name (test/support/unique_name.h).
using ::werf::test_support::UniqueName;

}  // namespace werf::testbed

#endif  // WERF_TEST_INTEGRATION_TESTBED_TESTBED_SUPPORT_H_
