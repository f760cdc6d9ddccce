// The worker side of the hub stream (proto/werf/operator/v1/hub.proto), shared by
// the poller and the converger. Workers dial the controller, never the other way
// round; one HubWorker keeps one Connect stream open for the life of the process:
//
//   - dials `controller_address` and announces itself with a WorkerHello;
//   - waits for the HubWelcome, then sends a Heartbeat whenever it has been quiet
//     for the interval the welcome names, and closes a stream on which the hub has
//     been silent for three intervals (the hub applies the same rule to us);
//   - reconnects after any failure with jittered exponential backoff (1 s doubling
//     to 30 s), announcing itself again: the hub sees a new stream and re-sends the
//     work it assigns;
//   - hands every hub message after the welcome (heartbeats excepted) to
//     `on_message`, on one delivery thread, in stream order;
//   - Send() queues a message for the current stream from any thread.
//
//   HubWorker::Create({.controller_address = ..., .kind = WORKER_KIND_CONVERGER, ...},
//                     {.on_connected = [&](StreamId s, const HubWelcome&) { ReannounceOn(s); },
//                      .on_message = [&](StreamId s, const ConnectResponse& m) { Handle(s, m); }});
//
// Messages queued for a stream that ends are dropped, not carried to the next one:
// a worker's state, not its history, is what the hub needs, so `on_connected` is
// where a worker re-sends what the hub must know (the converger: the latest
// observation of every Job).
#ifndef WERF_OPERATOR_LIBS_HUB_HUB_WORKER_H_
#define WERF_OPERATOR_LIBS_HUB_HUB_WORKER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/clock.h"
#include "werf/operator/v1/hub.grpc.pb.h"

namespace werf::hub {

// Identifies one welcomed stream of a worker (1, 2, ... in connection order; 0 is
// "none"). Acknowledgements quote sequence numbers of one stream, so they must go
// back on that stream: see SendOnStream.
using StreamId = uint64_t;

// Every field has a default member initializer, so designated initializers may name
// only what they set.
struct HubWorkerOptions {
  // host:port of the hub (--controller_address).
  std::string controller_address{};
  werf::operator_::v1::WorkerKind kind = werf::operator_::v1::WORKER_KIND_UNSPECIFIED;
  // Build version, announced in the hello.
  std::string version{};
  // Jobs a converger runs at once; 0 means no limit.
  uint32_t capacity = 0;
  // Empty: NewWorkerId().
  std::string worker_id{};
  // Null: plaintext, as inside the cluster.
  std::shared_ptr<grpc::ChannelCredentials> credentials{};
  // Reconnect delays: full jitter in [0, ceiling], the ceiling doubling from
  // `initial_backoff` to `max_backoff`; a stream that stayed up `backoff_reset_after`
  // starts the sequence over.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration backoff_reset_after = absl::Seconds(30);
  // How long the hub may take to answer the hello with a welcome.
  absl::Duration welcome_timeout = absl::Seconds(10);
  // Used when the welcome names no heartbeat interval.
  absl::Duration default_heartbeat_interval = absl::Seconds(10);
  // Messages queued for the hub beyond this many are refused (the stream is stuck).
  size_t max_outbox = 10000;
  // Decides reconnect delays, the welcome timeout, heartbeats and the hub's silence;
  // defaults to common::RealClock(). Must outlive the worker.
  common::Clock* clock = nullptr;
};

// Called on the delivery thread, one at a time, in order. They may call Send and
// SendOnStream, but never Stop (it waits for the delivery thread).
struct HubWorkerHandlers {
  // A stream was welcomed; re-send state here. Runs before any message of that stream.
  std::function<void(StreamId, const werf::operator_::v1::HubWelcome&)> on_connected{};
  // A hub message other than the welcome and heartbeats.
  std::function<void(StreamId, const werf::operator_::v1::ConnectResponse&)> on_message{};
  // A welcomed stream ended; the worker is already reconnecting.
  std::function<void(StreamId, const absl::Status&)> on_disconnected{};
};

// "<POD_NAME or hostname>-<8 random hex digits>": unique per process, so the hub
// tells a restarted worker from the one before it.
std::string NewWorkerId();

class HubWorker {
 public:
  // InvalidArgument when the address or kind is missing or the backoff is malformed.
  static absl::StatusOr<std::unique_ptr<HubWorker>> Create(HubWorkerOptions options,
                                                           HubWorkerHandlers handlers);
  ~HubWorker();
  HubWorker(const HubWorker&) = delete;
  HubWorker& operator=(const HubWorker&) = delete;

  // Starts connecting in the background. Call once.
  void Start();
  // Closes the stream, stops reconnecting and the handlers: none runs after Stop
  // returns. Idempotent. Not from a handler.
  void Stop();

  // Queues `message` for the current stream. Unavailable when no stream is welcomed
  // (the message is dropped; re-send from on_connected), ResourceExhausted when the
  // outbox is full.
  absl::Status Send(werf::operator_::v1::ConnectRequest message);
  // As Send, but only while `stream` is the current stream; FailedPrecondition when
  // it has ended. For replies (acknowledgements) to a message of that stream.
  absl::Status SendOnStream(StreamId stream, werf::operator_::v1::ConnectRequest message);

  // True while a stream is welcomed: readiness and introspection.
  bool connected() const;
  // The welcomed stream, or 0.
  StreamId current_stream() const;
  const std::string& worker_id() const { return options_.worker_id; }

 private:
  struct Event;
  struct StreamState;
  using Stream = grpc::ClientReaderWriter<werf::operator_::v1::ConnectRequest,
                                          werf::operator_::v1::ConnectResponse>;

  HubWorker(HubWorkerOptions options, HubWorkerHandlers handlers);

  void RunConnections();
  // One stream from dial to end. Returns why it ended.
  absl::Status RunStream();
  // Writes the outbox and heartbeats, and watches the hub's liveness, until the
  // stream ends. Runs on its own thread per stream.
  void RunWriter(grpc::ClientContext& context, Stream& stream, StreamState& state);
  void RunDelivery();
  absl::Status Enqueue(StreamId stream, werf::operator_::v1::ConnectRequest message);
  bool SleepUnlessStopping(absl::Duration duration);

  const HubWorkerOptions options_;
  common::Clock& clock_;
  const HubWorkerHandlers handlers_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<werf::operator_::v1::HubService::Stub> stub_;
  std::thread connection_thread_;
  std::thread delivery_thread_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The live call, so Stop can cancel it; null between streams.
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  StreamId current_stream_ ABSL_GUARDED_BY(mu_) = 0;
  StreamId last_stream_ ABSL_GUARDED_BY(mu_) = 0;
  // Messages for current_stream_, written in order by its writer thread.
  std::deque<werf::operator_::v1::ConnectRequest> outbox_ ABSL_GUARDED_BY(mu_);
  // Wakes the writer (outbox, end of stream) and reconnect sleeps (Stop).
  absl::CondVar wake_;
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);
  absl::CondVar events_available_;
  bool delivery_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace werf::hub

#endif  // WERF_OPERATOR_LIBS_HUB_HUB_WORKER_H_
