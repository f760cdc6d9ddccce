// Many WatchBundles streams open on the gateway at once, and how long one change
// takes to reach all of them: the fan-out figure of bench-scale. The streams use
// gRPC's callback API (no thread per stream) over several connections, as many
// dashboards would.
#ifndef WERF_OPERATOR_TEST_BENCH_WATCH_FANOUT_H_
#define WERF_OPERATOR_TEST_BENCH_WATCH_FANOUT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace werf::bench {

struct WatchFanoutOptions {
  std::string address;  // the gateway's gRPC host:port, plaintext
  int streams = 1000;
  int connections = 10;
  // WatchBundlesRequest filters: each stream's snapshot is what they match.
  std::string watch_namespace{};
  std::string label_selector{};
  absl::Duration timeout = absl::Minutes(2);
};

struct WatchFanoutFigures {
  int streams = 0;
  int received = 0;                // streams that got the change
  double open_seconds = 0;         // until every stream had its snapshot (SYNCED)
  double trigger_to_first_ms = 0;  // the change made -> the first stream has it
  double trigger_to_last_ms = 0;   // the change made -> the last stream has it
  double first_to_last_ms = 0;     // the gateway's fan-out alone
};

class WatchFanout {
 public:
  // Opens every stream and waits until each has received SYNCED.
  static absl::StatusOr<std::unique_ptr<WatchFanout>> Open(const WatchFanoutOptions& options);
  ~WatchFanout();  // cancels the streams and waits for them to end
  WatchFanout(const WatchFanout&) = delete;
  WatchFanout& operator=(const WatchFanout&) = delete;

  // Calls `trigger` (which must change bundle ns/name), then waits until every stream
  // has received a MODIFIED event of that bundle, or the timeout.
  absl::StatusOr<WatchFanoutFigures> Measure(const std::string& ns, const std::string& name,
                                             const std::function<absl::Status()>& trigger);

  class Stream;  // one WatchBundles call (defined in the .cc)

 private:
  explicit WatchFanout(WatchFanoutOptions options);  // in the .cc, where Stream is complete
  friend class Stream;
  void NoteSynced();
  void NoteModified(int stream, const std::string& ns, const std::string& name);
  void NoteDone();
  bool OpenedOrFailed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AllEnded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AllReceived() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WatchFanoutOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;  // outlive the streams on them
  std::vector<std::unique_ptr<Stream>> streams_;
  double open_seconds_ = 0;

  mutable absl::Mutex mu_;
  int synced_ ABSL_GUARDED_BY(mu_) = 0;
  int done_ ABSL_GUARDED_BY(mu_) = 0;
  std::string target_ ABSL_GUARDED_BY(mu_);  // "ns/name" being timed; empty between measures
  std::vector<absl::Time> arrived_ ABSL_GUARDED_BY(mu_);  // InfinitePast until a stream has it
  int received_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace werf::bench

#endif  // WERF_OPERATOR_TEST_BENCH_WATCH_FANOUT_H_
