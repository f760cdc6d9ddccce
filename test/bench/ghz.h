// ghz (https://ghz.sh), the gRPC load generator, run against one method and its JSON
// report read back: what bench-gateway and bench-scale measure the gateway with.
#ifndef WERF_OPERATOR_TEST_BENCH_GHZ_H_
#define WERF_OPERATOR_TEST_BENCH_GHZ_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace werf::bench {

struct GhzRun {
  std::string address;  // host:port, plaintext
  std::string method;   // e.g. "werf.operator.v1.BundleService/GetBundle"
  nlohmann::json request = nlohmann::json::object();  // ghz -d (may hold ghz templates)
  int total = 1000;
  int concurrency = 50;
  int connections = 4;
};

struct GhzFigures {
  int64_t count = 0;
  int64_t errors = 0;  // answers other than OK
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double average_ms = 0;
  // ghz's own CPU time per request: it shares the machine with what it measures.
  double ghz_cpu_ms = 0;
};

// Runs ghz (from PATH) to completion; an error when it printed no report.
absl::StatusOr<GhzFigures> RunGhz(const GhzRun& run);

}  // namespace werf::bench

#endif  // WERF_OPERATOR_TEST_BENCH_GHZ_H_
