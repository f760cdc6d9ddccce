// The dashboard's static files (dashboard/*.html, *.js, *.css), compiled into the
// binary by dashboard/embed_assets.cmake so the gateway serves them with no files
// on disk and no build step besides CMake. The page needs nothing from outside the
// gateway: it reads /v1/summary and follows /v1/bundles:watch.
#ifndef WERF_OPERATOR_SERVICES_GATEWAY_DASHBOARD_H_
#define WERF_OPERATOR_SERVICES_GATEWAY_DASHBOARD_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace werf::gateway {

struct StaticAsset {
  absl::string_view path;          // "/", "/dashboard.js", ...
  absl::string_view content_type;  // "text/html; charset=utf-8", ...
  absl::string_view etag;          // quoted, from the content's SHA-256
  absl::string_view body;
};

absl::Span<const StaticAsset> DashboardAssets();

}  // namespace werf::gateway

#endif  // WERF_OPERATOR_SERVICES_GATEWAY_DASHBOARD_H_
