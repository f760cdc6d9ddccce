// FakeHubWorker: a TEST DOUBLE of a worker (poller, converger) on the controller's hub,
// for tests of the hub itself (HubServiceImpl) and of what serves it (the controller).
// It is the mirror of TestHub (test_hub.h): one plain gRPC stream to
// werf.operator.v1.HubService/Connect that sends a WorkerHello, records everything the
// hub sends (welcome and heartbeats included), answers heartbeats unless told not to,
// and writes what the test gives it. It makes no decisions: no acknowledgements, no
// reconnects (the real worker is HubWorker, hub_worker.h).
//
// Every write (the test's Send from any thread, the reader thread's heartbeat answers)
// goes through one mutex, because a gRPC stream allows one Write in flight.
#ifndef WERF_OPERATOR_LIBS_HUB_TESTING_FAKE_HUB_WORKER_H_
#define WERF_OPERATOR_LIBS_HUB_TESTING_FAKE_HUB_WORKER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "libs/hub/testing/message_log.h"
#include "werf/operator/v1/hub.grpc.pb.h"

namespace werf::hub::testing {

class FakeHubWorker {
 public:
  struct Options {
    std::string worker_id{};
    werf::operator_::v1::WorkerKind kind = werf::operator_::v1::WORKER_KIND_UNSPECIFIED;
    // Answer each hub heartbeat with one, so the hub keeps the stream past its
    // three-interval silence cut-off. False leaves the worker silent except for the
    // test's own Sends, to test that cut-off or to keep the wire to exactly those.
    bool answer_heartbeats = true;
  };

  // Dials `address` ("host:port", plaintext), opens the stream and sends the hello.
  // Never fails here: a stream the hub refuses or that breaks shows as nothing more
  // received, and Send returning false.
  FakeHubWorker(const std::string& address, Options options);
  // The same on a channel the test made (e.g. an in-process one).
  FakeHubWorker(std::shared_ptr<grpc::Channel> channel, Options options);
  // Close().
  ~FakeHubWorker();
  FakeHubWorker(const FakeHubWorker&) = delete;
  FakeHubWorker& operator=(const FakeHubWorker&) = delete;

  const Options& options() const { return options_; }

  // Writes one message; false once the stream has ended. Thread-safe.
  bool Send(const werf::operator_::v1::ConnectRequest& message);

  // Cancels the stream, as a worker that went away, and waits for the reader to stop.
  // Idempotent; not thread-safe (call it from the test's thread).
  void Close();

  // Everything the hub sent on the stream, in arrival order.
  std::vector<werf::operator_::v1::ConnectResponse> received() const;
  size_t received_count() const;
  // Those of one kind, in arrival order.
  std::vector<werf::operator_::v1::ConnectResponse> Received(
      werf::operator_::v1::ConnectResponse::MessageCase kind) const;

  // The first message at index >= `from` of received() that `matches`, waiting up to
  // `timeout` for it; DeadlineExceeded when none came.
  absl::StatusOr<werf::operator_::v1::ConnectResponse> WaitFor(
      const std::function<bool(const werf::operator_::v1::ConnectResponse&)>& matches,
      absl::Duration timeout, size_t from = 0);
  // The first message of `kind` at index >= `from`: with `from` = received_count()
  // taken before an action, the next such message after it.
  absl::StatusOr<werf::operator_::v1::ConnectResponse> WaitForKind(
      werf::operator_::v1::ConnectResponse::MessageCase kind, absl::Duration timeout,
      size_t from = 0);
  // Until at least `count` messages of `kind` have been received in all.
  absl::Status WaitForCount(werf::operator_::v1::ConnectResponse::MessageCase kind, size_t count,
                            absl::Duration timeout);

 private:
  void ReadLoop();

  const Options options_;
  grpc::ClientContext context_;
  std::unique_ptr<werf::operator_::v1::HubService::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<werf::operator_::v1::ConnectRequest,
                                           werf::operator_::v1::ConnectResponse>>
      stream_;
  std::thread reader_;
  bool closed_ = false;

  // Held across each Write and the final Finish: one operation on the stream at a time.
  absl::Mutex write_mu_;
  bool ended_ ABSL_GUARDED_BY(write_mu_) = false;

  MessageLog<werf::operator_::v1::ConnectResponse> received_;
};

}  // namespace werf::hub::testing

#endif  // WERF_OPERATOR_LIBS_HUB_TESTING_FAKE_HUB_WORKER_H_
