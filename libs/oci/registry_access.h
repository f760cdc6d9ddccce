// How to reach one registry: credentials and trust, from a bundle's
// registry.secretRef, registry.caSecretRef and registry.insecure.
#ifndef WERF_OPERATOR_LIBS_OCI_REGISTRY_ACCESS_H_
#define WERF_OPERATOR_LIBS_OCI_REGISTRY_ACCESS_H_

#include <optional>
#include <string>

#include "libs/oci/credentials.h"

namespace werf::oci {

enum class TransportSecurity {
  kTls,            // HTTPS, certificate verified (the default)
  kTlsSkipVerify,  // HTTPS, certificate not verified
  kPlainHttp,      // HTTP
  // What registry.insecure means, as for docker and crane: HTTPS without
  // verification, falling back to plain HTTP when the registry does not speak
  // TLS. The choice is remembered per registry.
  kInsecure,
};

struct RegistryAccess {
  // nullopt (or empty): anonymous.
  std::optional<Credentials> credentials{};
  // PEM CA certificates that sign the registry (registry.caSecretRef), trusted in
  // addition to the system roots; also used for the registry's token service.
  std::string ca_pem{};
  TransportSecurity security = TransportSecurity::kTls;

  bool has_credentials() const { return credentials.has_value() && !credentials->empty(); }
  std::string Identity() const { return credentials.has_value() ? credentials->Identity() : "anonymous"; }
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_REGISTRY_ACCESS_H_
