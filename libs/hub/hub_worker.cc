#include "libs/hub/hub_worker.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "libs/common/backoff.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace werf::hub {
namespace {

namespace pb = ::werf::operator_::v1;

// Tag lists of big repositories travel over the hub (as GrpcServer allows).
constexpr int kMaxMessageBytes = 32 << 20;

absl::string_view KindName(pb::WorkerKind kind) {
  switch (kind) {
    case pb::WORKER_KIND_POLLER:
      return "poller";
    case pb::WORKER_KIND_CONVERGER:
      return "converger";
    default:
      return "unspecified";
  }
}

struct HubMetrics {
  prometheus::Family<prometheus::Gauge>& connected;
  prometheus::Family<prometheus::Counter>& streams;
};

HubMetrics& Metrics() {
  static auto* metrics = new HubMetrics{
      prometheus::BuildGauge()
          .Name("werf_operator_hub_worker_connected")
          .Help("1 while this worker has a welcomed stream to the controller's hub, else 0.")
          .Register(common::MetricsRegistry()),
      prometheus::BuildCounter()
          .Name("werf_operator_hub_worker_streams_total")
          .Help("Hub streams this worker opened that the hub welcomed (1 + reconnects).")
          .Register(common::MetricsRegistry()),
  };
  return *metrics;
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp.set_seconds(nanos / 1000000000);
  timestamp.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return timestamp;
}

absl::Duration FromProto(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

}  // namespace

struct HubWorker::Event {
  enum class Kind { kConnected, kMessage, kDisconnected };
  Kind kind = Kind::kMessage;
  StreamId stream = 0;
  pb::HubWelcome welcome{};
  pb::ConnectResponse message{};
  absl::Status status{};
};

// One stream's bookkeeping, shared by its reader (RunStream) and writer threads.
// Every field is guarded by HubWorker::mu_.
struct HubWorker::StreamState {
  absl::Time started;
  bool welcomed = false;
  // The reader saw the end of the stream; the writer must stop.
  bool done = false;
  absl::Time last_received;
  absl::Time last_sent;
  absl::Duration heartbeat_interval;
  // Why this side closed the stream, when it did (the gRPC status then only says CANCELLED).
  absl::Status close_reason;
};

std::string NewWorkerId() {
  std::string base;
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    base = pod;
  } else {
    char host[256] = {};
    base = gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0' ? host : "worker";
  }
  absl::BitGen random;
  return absl::StrFormat("%s-%08x", base, absl::Uniform<uint32_t>(random));
}

absl::StatusOr<std::unique_ptr<HubWorker>> HubWorker::Create(HubWorkerOptions options,
                                                             HubWorkerHandlers handlers) {
  if (options.controller_address.empty()) {
    return absl::InvalidArgumentError("hub worker: controller_address is empty; set --controller_address");
  }
  if (options.kind == pb::WORKER_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("hub worker: kind is unspecified; the hub would reject the stream");
  }
  if (options.welcome_timeout <= absl::ZeroDuration() ||
      options.default_heartbeat_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("hub worker: welcome_timeout and default_heartbeat_interval must be positive");
  }
  common::BackoffOptions backoff{.initial = options.initial_backoff,
                                 .max = options.max_backoff,
                                 .reset_after = options.backoff_reset_after};
  if (absl::Status valid = common::ExponentialBackoff::Create(backoff).status(); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("hub worker reconnect backoff: ", valid.message()));
  }
  if (options.worker_id.empty()) options.worker_id = NewWorkerId();
  if (options.credentials == nullptr) options.credentials = grpc::InsecureChannelCredentials();
  return std::unique_ptr<HubWorker>(new HubWorker(std::move(options), std::move(handlers)));
}

HubWorker::HubWorker(HubWorkerOptions options, HubWorkerHandlers handlers)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()),
      handlers_(std::move(handlers)) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // The channel's own reconnect backoff (up to 120 s by default) would otherwise
  // stretch our 1 s -> 30 s schedule: calls fail fast while the channel waits.
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                   static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff)));
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
                   static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff)));
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                   static_cast<int>(absl::ToInt64Milliseconds(options_.max_backoff)));
  channel_ = grpc::CreateCustomChannel(options_.controller_address, options_.credentials, arguments);
  stub_ = pb::HubService::NewStub(channel_);
}

HubWorker::~HubWorker() { Stop(); }

void HubWorker::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  Metrics().connected.Add({{"kind", std::string(KindName(options_.kind))}}).Set(0);
  delivery_thread_ = std::thread([this] { RunDelivery(); });
  connection_thread_ = std::thread([this] { RunConnections(); });
}

void HubWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
    wake_.SignalAll();
  }
  if (connection_thread_.joinable()) connection_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    delivery_done_ = true;
    events_available_.SignalAll();
  }
  if (delivery_thread_.joinable()) delivery_thread_.join();
}

bool HubWorker::connected() const {
  absl::MutexLock lock(&mu_);
  return current_stream_ != 0;
}

StreamId HubWorker::current_stream() const {
  absl::MutexLock lock(&mu_);
  return current_stream_;
}

absl::Status HubWorker::Send(pb::ConnectRequest message) { return Enqueue(0, std::move(message)); }

absl::Status HubWorker::SendOnStream(StreamId stream, pb::ConnectRequest message) {
  if (stream == 0) return absl::InvalidArgumentError("hub worker: stream 0 names no stream");
  return Enqueue(stream, std::move(message));
}

absl::Status HubWorker::Enqueue(StreamId stream, pb::ConnectRequest message) {
  absl::MutexLock lock(&mu_);
  if (current_stream_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("not connected to the hub at ", options_.controller_address));
  }
  if (stream != 0 && stream != current_stream_) {
    return absl::FailedPreconditionError(
        absl::StrCat("hub stream ", stream, " has ended (now ", current_stream_, ")"));
  }
  if (outbox_.size() >= options_.max_outbox) {
    return absl::ResourceExhaustedError(absl::StrCat(
        options_.max_outbox, " messages wait for the hub at ", options_.controller_address,
        "; the stream is not draining"));
  }
  outbox_.push_back(std::move(message));
  wake_.SignalAll();
  return absl::OkStatus();
}

void HubWorker::RunConnections() {
  common::ExponentialBackoff backoff = *common::ExponentialBackoff::Create(
      {.initial = options_.initial_backoff,
       .max = options_.max_backoff,
       .reset_after = options_.backoff_reset_after});
  while (true) {
    const absl::Status ended = RunStream();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    const absl::Duration delay = backoff.Next(clock_.Now());
    common::LogWarning("hub stream ended; reconnecting",
                       {{"controller_address", options_.controller_address},
                        {"worker_id", options_.worker_id},
                        {"error", ended.ToString()},
                        {"retry_in", absl::FormatDuration(delay)}});
    if (!SleepUnlessStopping(delay)) return;
  }
}

absl::Status HubWorker::RunStream() {
  grpc::ClientContext context;
  StreamState state;
  state.started = clock_.Now();
  state.last_received = state.started;
  state.last_sent = state.started;
  state.heartbeat_interval = options_.default_heartbeat_interval;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("the hub worker is stopping");
    context_ = &context;
  }

  std::unique_ptr<Stream> stream = stub_->Connect(&context);
  pb::ConnectRequest hello;
  hello.mutable_hello()->set_worker_id(options_.worker_id);
  hello.mutable_hello()->set_kind(options_.kind);
  hello.mutable_hello()->set_version(options_.version);
  hello.mutable_hello()->set_capacity(options_.capacity);
  const bool hello_sent = stream->Write(hello);
  std::thread writer;
  if (hello_sent) writer = std::thread([&] { RunWriter(context, *stream, state); });

  StreamId stream_id = 0;
  pb::ConnectResponse response;
  while (hello_sent && stream->Read(&response)) {
    absl::MutexLock lock(&mu_);
    state.last_received = clock_.Now();
    if (!state.welcomed) {
      if (!response.has_welcome()) {
        state.close_reason = absl::FailedPreconditionError(
            "the hub's first message was not a HubWelcome; is --controller_address the hub?");
        context.TryCancel();
        break;
      }
      const absl::Duration interval = FromProto(response.welcome().heartbeat_interval());
      state.heartbeat_interval =
          interval > absl::ZeroDuration() ? interval : options_.default_heartbeat_interval;
      state.welcomed = true;
      stream_id = ++last_stream_;
      current_stream_ = stream_id;
      outbox_.clear();
      wake_.SignalAll();
      events_.push_back({.kind = Event::Kind::kConnected,
                         .stream = stream_id,
                         .welcome = response.welcome()});
      events_available_.Signal();
      Metrics().connected.Add({{"kind", std::string(KindName(options_.kind))}}).Set(1);
      Metrics().streams.Add({{"kind", std::string(KindName(options_.kind))}}).Increment();
      common::LogInfo("connected to hub",
                      {{"controller_address", options_.controller_address},
                       {"controller_id", response.welcome().controller_id()},
                       {"worker_id", options_.worker_id},
                       {"stream", stream_id},
                       {"heartbeat_interval", absl::FormatDuration(state.heartbeat_interval)}});
      continue;
    }
    if (response.has_heartbeat()) continue;
    events_.push_back({.kind = Event::Kind::kMessage, .stream = stream_id, .message = response});
    events_available_.Signal();
  }

  {
    absl::MutexLock lock(&mu_);
    state.done = true;
    if (stream_id != 0 && current_stream_ == stream_id) current_stream_ = 0;
    outbox_.clear();
    wake_.SignalAll();
  }
  if (writer.joinable()) writer.join();
  const grpc::Status finished = stream->Finish();

  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  absl::Status why = !state.close_reason.ok() ? state.close_reason : FromGrpc(finished);
  if (why.ok()) why = absl::UnavailableError("the hub closed the stream");
  if (stream_id != 0) {
    Metrics().connected.Add({{"kind", std::string(KindName(options_.kind))}}).Set(0);
    events_.push_back({.kind = Event::Kind::kDisconnected, .stream = stream_id, .status = why});
    events_available_.Signal();
  }
  return why;
}

void HubWorker::RunWriter(grpc::ClientContext& context, Stream& stream, StreamState& state) {
  mu_.Lock();
  while (!state.done && !stopping_) {
    const absl::Time now = clock_.Now();
    if (!state.welcomed) {
      const absl::Time deadline = state.started + options_.welcome_timeout;
      if (now >= deadline) {
        state.close_reason = absl::DeadlineExceededError(absl::StrCat(
            "the hub did not answer the hello within ", absl::FormatDuration(options_.welcome_timeout)));
        context.TryCancel();
        break;
      }
      clock_.WaitWithDeadline(&mu_, &wake_, deadline);
      continue;
    }
    // The hub heartbeats at the same interval, so three silent intervals mean it is gone
    // even though TCP may not notice for many minutes.
    const absl::Time silence_deadline = state.last_received + 3 * state.heartbeat_interval;
    if (now >= silence_deadline) {
      state.close_reason = absl::DeadlineExceededError(absl::StrCat(
          "the hub sent nothing for ", absl::FormatDuration(3 * state.heartbeat_interval),
          " (three heartbeat intervals)"));
      context.TryCancel();
      break;
    }
    const absl::Time heartbeat_due = state.last_sent + state.heartbeat_interval;
    if (outbox_.empty() && now < heartbeat_due) {
      clock_.WaitWithDeadline(&mu_, &wake_, std::min(silence_deadline, heartbeat_due));
      continue;
    }
    std::deque<pb::ConnectRequest> batch;
    batch.swap(outbox_);
    if (batch.empty()) *batch.emplace_back().mutable_heartbeat()->mutable_sent_at() = ToTimestamp(now);
    mu_.Unlock();
    bool written = true;
    for (const pb::ConnectRequest& message : batch) {
      if (!(written = stream.Write(message))) break;
    }
    mu_.Lock();
    state.last_sent = clock_.Now();
    if (!written) {
      // The stream is broken; the reader's Read fails too and reports the status.
      context.TryCancel();
      break;
    }
  }
  mu_.Unlock();
}

void HubWorker::RunDelivery() {
  while (true) {
    Event event;
    {
      absl::MutexLock lock(&mu_);
      while (events_.empty() && !delivery_done_) events_available_.Wait(&mu_);
      if (delivery_done_) return;
      event = std::move(events_.front());
      events_.pop_front();
    }
    switch (event.kind) {
      case Event::Kind::kConnected:
        if (handlers_.on_connected) handlers_.on_connected(event.stream, event.welcome);
        break;
      case Event::Kind::kMessage:
        if (handlers_.on_message) handlers_.on_message(event.stream, event.message);
        break;
      case Event::Kind::kDisconnected:
        if (handlers_.on_disconnected) handlers_.on_disconnected(event.stream, event.status);
        break;
    }
  }
}

bool HubWorker::SleepUnlessStopping(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  const absl::Time deadline = clock_.Now() + duration;
  while (!stopping_ && clock_.Now() < deadline) clock_.WaitWithDeadline(&mu_, &wake_, deadline);
  return !stopping_;
}

}  // namespace werf::hub
