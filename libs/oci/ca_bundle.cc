#include "libs/oci/ca_bundle.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace werf::oci {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};

}  // namespace

absl::Status ValidateCaBundle(absl::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("cannot allocate a buffer for the CA bundle");
  int certificates = 0;
  ERR_clear_error();
  while (true) {
    std::unique_ptr<X509, X509Deleter> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (certificate == nullptr) break;
    ++certificates;
  }
  // The loop ends with "no start line" at the end of input; anything else is a broken certificate.
  const unsigned long error = ERR_peek_last_error();  // NOLINT(runtime/int): OpenSSL's type
  ERR_clear_error();
  const bool clean_end = error == 0 || ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  if (!clean_end) {
    return absl::InvalidArgumentError(
        absl::StrCat("the CA bundle holds a malformed certificate after ", certificates, " good ones"));
  }
  if (certificates == 0) return absl::InvalidArgumentError("the CA bundle holds no PEM certificate");
  return absl::OkStatus();
}

}  // namespace werf::oci
