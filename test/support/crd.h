// The WerfBundle CRD on the test bed, installed one way by every suite that needs it: the
// repository's own manifest (deploy/kustomize/base/crd-werfbundles.yaml, compiled in),
// applied server-side with kubectl, and Established before the suite writes a bundle (the
// API server serves a CRD's resource only from then on; a bundle written earlier is a 404).
#ifndef WERF_OPERATOR_TEST_SUPPORT_CRD_H_
#define WERF_OPERATOR_TEST_SUPPORT_CRD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/kube/rest_client.h"

namespace werf::test_support {

inline constexpr absl::string_view kWerfBundleCrdName = "werfbundles.werf.io";

struct WerfBundleCrdOptions {
  // Text replaced in the manifest before it is applied, for a suite that needs a variant
  // (the e2e tests lower the CRD's 1m floor on intervals to poll every 2s). Every `first`
  // must occur in the manifest, else the install fails naming it: a manifest that changed
  // underneath is never silently installed as it is.
  std::vector<std::pair<std::string, std::string>> replacements{};
  // When the CRD exists already, leave it as it is and only wait for it to be Established:
  // for a suite that needs some WerfBundle CRD before each of its many bundles, and would
  // otherwise undo, again and again, a variant that another suite on the same test bed
  // installed.
  bool only_if_absent = false;
};

// The manifest's path in the source tree.
const char* WerfBundleCrdPath();

// The manifest's text with `replacements` made; NotFound when it cannot be read,
// FailedPrecondition naming a replacement whose text does not occur in it.
absl::StatusOr<std::string> WerfBundleCrdManifest(
    const std::vector<std::pair<std::string, std::string>>& replacements = {});

// Installs (or updates) the CRD with `kubectl --kubeconfig $KUBECONFIG apply --server-side
// --force-conflicts` (one field manager for every suite, so that the last apply wins
// whichever suite made it) and waits up to a minute for it to be Established, through
// AdminClient(). Idempotent.
absl::Status InstallWerfBundleCrd(const WerfBundleCrdOptions& options = {});

// Polls the CustomResourceDefinition `name` every `interval` until its condition
// Established is True. DeadlineExceeded naming the CRD, with the conditions (or the error)
// last seen, when it is not within `timeout`.
absl::Status WaitForCrdEstablished(kube::RestClient& client, absl::string_view name, absl::Duration timeout,
                                   absl::Duration interval = absl::Milliseconds(250));

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_CRD_H_
