// Reads one Secret and decodes its data, with errors a user can act on: they name the
// Secret and what it is for, and say what to do (create it, fix the reference, grant
// get on secrets). Values are never part of an error.
//
// The decoding is the one rule for a map[string][]byte field as the API server writes
// it (every value base64): a Secret's `data` and a ConfigMap's `binaryData` alike.
#ifndef WERF_OPERATOR_LIBS_KUBE_SECRET_READER_H_
#define WERF_OPERATOR_LIBS_KUBE_SECRET_READER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"

namespace werf::kube {

// key -> decoded bytes.
using DecodedData = std::map<std::string, std::string, std::less<>>;

struct SecretContent {
  std::string type{};   // "Opaque" when unset
  DecodedData data{};   // .data, base64-decoded
};

// `object[field]` decoded, each value from base64; absent or null is empty.
// InvalidArgument `key "k" is not valid base64` (or that the field is not a map):
// without the object's name, which the caller knows and this code does not.
absl::StatusOr<DecodedData> DecodeBytesField(const nlohmann::json& object, absl::string_view field);

// A Secret object's type and decoded `data` (`stringData` is write-only: the API server
// folds it into `data`). Errors as DecodeBytesField's.
absl::StatusOr<SecretContent> DecodeSecret(const nlohmann::json& secret);

// `purpose` says what the Secret is for ("registry credentials"), `reader` who reads
// it ("the poller"). FailedPrecondition when it is missing or malformed (the user's
// to fix), PermissionDenied when RBAC forbids it (the installation's to fix),
// Unavailable otherwise (retry).
absl::StatusOr<SecretContent> ReadSecret(RestClient& client, absl::string_view ns, absl::string_view name,
                                         absl::string_view purpose, absl::string_view reader);

// As ReadSecret, but a missing Secret is nullopt, not an error: for references that are
// optional, and for callers that say in their own words (a spec field, the fix) what is
// missing.
absl::StatusOr<std::optional<SecretContent>> ReadSecretIfExists(RestClient& client, absl::string_view ns,
                                                                absl::string_view name,
                                                                absl::string_view purpose,
                                                                absl::string_view reader);

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_SECRET_READER_H_
