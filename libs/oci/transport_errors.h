// libs/http's transport errors in the registry client's terms: the status
// codes, ErrorReason payloads (errors.h) and messages the poller classifies
// and shows. Messages name the method and the URL's origin only, never its
// path or query (which may be a webhook's secret).
#ifndef WERF_OPERATOR_LIBS_OCI_TRANSPORT_ERRORS_H_
#define WERF_OPERATOR_LIBS_OCI_TRANSPORT_ERRORS_H_

#include "absl/status/status.h"
#include "libs/http/http_message.h"

namespace werf::oci {

// For a status carrying an http::TransportError: kTls -> kFailedPrecondition
// (reason kTls); kTruncated, kInvalidResponse, kHeadersTooLarge -> kDataLoss
// (kInvalidResponse); kBadUrl -> kInvalidArgument; the rest -> kUnavailable
// (kUnavailable). Any other status (OK included) is returned as is.
absl::Status FromTransportError(const absl::Status& status, const http::HttpRequest& request);

}  // namespace werf::oci

#endif  // WERF_OPERATOR_LIBS_OCI_TRANSPORT_ERRORS_H_
