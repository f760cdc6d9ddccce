// Bearer tokens from registry token services, kept until shortly before they
// expire so each poll of a repository costs one registry request, not two.
//
// Lifetimes follow the distribution token spec: `expires_in` seconds from
// issue, 60 s when absent. Expiry is measured from when the token arrived, not
// from `issued_at`, so a skewed registry clock cannot make a token look fresh.
// Tokens are dropped a little early (a tenth of the lifetime, at most 30 s) so
// one never expires between the cache lookup and the registry reading it.
#ifndef WERF_OPERATOR_LIBS_OCI_TOKEN_CACHE_H_
#define WERF_OPERATOR_LIBS_OCI_TOKEN_CACHE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace werf::oci {

// What a token is valid for: who asked (Credentials::Identity) for which scope where.
struct TokenKey {
  std::string realm{};
  std::string service{};
  std::string scope{};
  std::string identity{};
};

inline constexpr absl::Duration kDefaultTokenLifetime = absl::Seconds(60);

class TokenCache {
 public:
  explicit TokenCache(common::Clock& clock, size_t max_entries = 100000);

  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // The token, unless absent or due for refresh.
  std::optional<std::string> Get(const TokenKey& key) const ABSL_LOCKS_EXCLUDED(mu_);

  // Stores a token that arrived now. `expires_in` <= 0 means "not given".
  void Put(const TokenKey& key, std::string token, absl::Duration expires_in) ABSL_LOCKS_EXCLUDED(mu_);

  // Forgets the token, e.g. after the registry rejected it.
  void Invalidate(const TokenKey& key) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

  // How long before expiry a token of `lifetime` stops being handed out.
  static absl::Duration RefreshMargin(absl::Duration lifetime);

 private:
  struct Entry {
    std::string token{};
    absl::Time refresh_at{};
  };

  static std::string KeyString(const TokenKey& key);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  common::Clock& clock_;
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_TOKEN_CACHE_H_
