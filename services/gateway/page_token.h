// ListBundles page tokens. A token is opaque to clients; inside it is where the
// previous page ended (namespace and name, so paging is stable while bundles come
// and go) and a fingerprint of the filters, so a token replayed with different
// filters is refused instead of silently skipping bundles. Tokens carry no process
// state: any gateway replica accepts any replica's token.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_PAGE_TOKEN_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/bundle_key.h"

namespace werf::gateway {

// A stable (cross-process, cross-version) fingerprint of a query's filters, e.g. of
// "namespace|phase|canonical label selector".
std::string QueryFingerprint(absl::string_view filters);

std::string EncodePageToken(const BundleKey& last_on_page, absl::string_view query_fingerprint);

// The key the previous page ended with. InvalidArgument when the token is not one of
// ours, or was issued for other filters.
absl::StatusOr<BundleKey> DecodePageToken(absl::string_view token,
                                          absl::string_view query_fingerprint);

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_PAGE_TOKEN_H_
