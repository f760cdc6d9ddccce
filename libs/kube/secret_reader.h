// Reads one Secret and decodes its data, with errors a user can act on: they name the
// Secret and what it is for, and say what to do (create it, fix the reference, grant
// get on secrets). Values are never part of an error.
#ifndef WERF_OPERATOR_LIBS_KUBE_SECRET_READER_H_
#define WERF_OPERATOR_LIBS_KUBE_SECRET_READER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/kube/rest_client.h"

namespace werf::kube {

struct SecretContent {
  std::string type;                         // "Opaque" when unset
  std::map<std::string, std::string, std::less<>> data;  // .data, base64-decoded
};

// `purpose` says what the Secret is for ("registry credentials"), `reader` who reads
// it ("the poller"). FailedPrecondition when it is missing or malformed (the user's
// to fix), PermissionDenied when RBAC forbids it (the installation's to fix),
// Unavailable otherwise (retry).
absl::StatusOr<SecretContent> ReadSecret(RestClient& client, absl::string_view ns, absl::string_view name,
                                         absl::string_view purpose, absl::string_view reader);

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_SECRET_READER_H_
