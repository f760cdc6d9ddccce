// Registry credentials, as read from a Kubernetes Secret (docker_config.h).
// Deliberately has no operator<< or AbslStringify: nothing here may reach a log.
#ifndef WERF_OPERATOR_LIBS_OCI_CREDENTIALS_H_
#define WERF_OPERATOR_LIBS_OCI_CREDENTIALS_H_

#include <string>

namespace werf::oci {

struct Credentials {
  std::string username{};
  std::string password{};
  // An OAuth2 refresh token from `docker login` against an identity provider;
  // exchanged at the token realm with grant_type=refresh_token.
  std::string identity_token{};
  // A bearer token to send to the registry as is (dockerconfig `registrytoken`).
  std::string registry_token{};

  bool has_password() const { return !username.empty() || !password.empty(); }
  bool empty() const { return !has_password() && identity_token.empty() && registry_token.empty(); }

  // Who these credentials are, for cache keys: the username plus a short SHA-256
  // fingerprint of the secrets, so changed secrets never reuse a cached token.
  // Safe to keep in memory; it cannot be turned back into the secrets. "anonymous" when empty.
  std::string Identity() const;

  friend bool operator==(const Credentials& a, const Credentials& b) {
    return a.username == b.username && a.password == b.password && a.identity_token == b.identity_token &&
           a.registry_token == b.registry_token;
  }
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_CREDENTIALS_H_
