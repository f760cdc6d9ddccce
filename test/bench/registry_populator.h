// Fills a plain-HTTP registry (anonymous or Basic auth) with many one-tag repositories, fast:
// the two blobs of one tiny image are uploaded once, then every repository gets
// them by cross-repository mount (POST .../blobs/uploads/?mount=&from=) plus one
// manifest PUT, over keep-alive connections from several threads. A marker
// repository records how many exist, so a rerun reuses them.
//
// Registry traffic for the benchmark only; the operator itself never pushes.
#ifndef WERF_OPERATOR_TEST_BENCH_REGISTRY_POPULATOR_H_
#define WERF_OPERATOR_TEST_BENCH_REGISTRY_POPULATOR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace werf::bench {

struct PopulateOptions {
  // "http://127.0.0.1:port"
  std::string base_url{};
  // "user:password" for a registry with Basic auth (htpasswd); empty for anonymous.
  std::string basic_auth{};
  // Repository names start with this: <prefix>r000000, <prefix>source, <prefix>marker.
  std::string prefix = "werf-bench/";
  int repositories = 0;
  int threads = 8;
  std::string tag = "1.0.0";
};

struct PopulateResult {
  // Repositories the marker said were there already (not touched again).
  int reused = 0;
  int created = 0;
  // Mounts the registry refused (answered 202), so the blob was uploaded instead.
  int mount_fallbacks = 0;
  int64_t requests = 0;
  absl::Duration elapsed = absl::ZeroDuration();
  // Of the manifest every repository's tag points to.
  std::string manifest_digest{};
};

// <prefix>r<index, six digits>.
std::string BenchRepositoryName(absl::string_view prefix, int index);

absl::StatusOr<PopulateResult> PopulateRegistry(const PopulateOptions& options);

}  // namespace werf::bench

#endif  // WERF_OPERATOR_TEST_BENCH_REGISTRY_POPULATOR_H_
