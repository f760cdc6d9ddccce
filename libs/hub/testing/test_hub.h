// TestHub: a TEST DOUBLE of the controller's hub (services/controller serves the real
// werf.operator.v1.HubService). It speaks the same protocol from the hub's side, just
// enough for worker tests: welcome each WorkerHello, heartbeat, record everything the
// workers send, let the test push messages (ConvergeRequest, TrackRepository, ...)
// with proper sequence numbers, and drop streams the way a controller restart would.
// It makes no decisions. Serves plaintext on 127.0.0.1 with a free port.
#ifndef WERF_OPERATOR_LIBS_HUB_TESTING_TEST_HUB_H_
#define WERF_OPERATOR_LIBS_HUB_TESTING_TEST_HUB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "libs/hub/testing/message_log.h"
#include "werf/operator/v1/hub.grpc.pb.h"

namespace werf::hub::testing {

class TestHub {
 public:
  struct Options {
    absl::Duration heartbeat_interval = absl::Seconds(1);
    // False makes the hub silent after the welcome, to test the worker's liveness check.
    bool send_heartbeats = true;
    std::string controller_id = "test-hub";
    // 0 picks a free port; a fixed one lets a test restart "the controller" in place.
    int port = 0;
  };

  static absl::StatusOr<std::unique_ptr<TestHub>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<TestHub>> Start() { return Start(Options()); }
  ~TestHub();
  TestHub(const TestHub&) = delete;
  TestHub& operator=(const TestHub&) = delete;

  // "127.0.0.1:<port>", for --controller_address.
  const std::string& address() const { return address_; }

  // Waits until `count` streams in total have been welcomed.
  absl::Status WaitForStreams(int count, absl::Duration timeout);
  int streams_welcomed() const;
  int live_streams() const;
  // Hellos in arrival order.
  std::vector<werf::operator_::v1::WorkerHello> hellos() const;

  // Sends to the newest live stream, setting the message's sequence number; returns it.
  absl::StatusOr<uint64_t> Send(werf::operator_::v1::ConnectResponse message);
  absl::StatusOr<uint64_t> SendConverge(const werf::operator_::v1::ConvergeRequest& request);

  // Everything workers sent after their hellos, across streams, in arrival order.
  std::vector<werf::operator_::v1::ConnectRequest> received() const;
  size_t received_count() const;
  // The first message at index >= `from` of received() that `matches`; waits for it.
  absl::StatusOr<werf::operator_::v1::ConnectRequest> WaitFor(
      const std::function<bool(const werf::operator_::v1::ConnectRequest&)>& matches,
      absl::Duration timeout, size_t from = 0);
  // The decision on a request (receipts skipped).
  absl::StatusOr<werf::operator_::v1::Acknowledgement> WaitForAck(uint64_t sequence,
                                                                  absl::Duration timeout,
                                                                  size_t from = 0);
  absl::StatusOr<werf::operator_::v1::JobObservation> WaitForJob(
      absl::string_view job_name, werf::operator_::v1::JobPhase phase, absl::Duration timeout,
      size_t from = 0);

  // Cancels every live stream, as a controller restart or failover would.
  void DropStreams();
  // Stops serving. Idempotent; the destructor calls it.
  void Shutdown();

 private:
  class Service;
  struct LiveStream;
  explicit TestHub(Options options);
  void RunHeartbeats();

  const Options options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::thread heartbeat_thread_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<LiveStream>> live_ ABSL_GUARDED_BY(mu_);
  int welcomed_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<werf::operator_::v1::WorkerHello> hellos_ ABSL_GUARDED_BY(mu_);
  MessageLog<werf::operator_::v1::ConnectRequest> received_{"test hub"};
};

}  // namespace werf::hub::testing

#endif  // WERF_OPERATOR_LIBS_HUB_TESTING_TEST_HUB_H_
