#include "libs/oci/credentials.h"

#include "absl/strings/str_cat.h"
#include "libs/oci/digest.h"

namespace werf::oci {

std::string Credentials::Identity() const {
  if (empty()) return "anonymous";
  // Length-prefixed fields, so ("ab", "c") and ("a", "bc") differ.
  const std::string secrets = absl::StrCat(password.size(), ":", password, identity_token.size(), ":", identity_token,
                                           registry_token.size(), ":", registry_token);
  return absl::StrCat("user:", username, "#", Sha256Hex(secrets).substr(0, 16));
}

}  // namespace werf::oci
