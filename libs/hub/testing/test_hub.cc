#include "libs/hub/testing/test_hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace werf::hub::testing {
namespace {

namespace pb = ::werf::operator_::v1;

using ServerStream = grpc::ServerReaderWriter<pb::ConnectResponse, pb::ConnectRequest>;

}  // namespace

// One worker's stream. Writes come from the test thread and the heartbeat thread,
// so they are serialised here; `closed` keeps them off a finished call.
struct TestHub::LiveStream {
  LiveStream(grpc::ServerContext* c, ServerStream* s) : context(c), stream(s) {}

  // Sets the sequence number and writes; returns it, or 0 when the stream is gone.
  uint64_t Write(pb::ConnectResponse message) {
    absl::MutexLock lock(&write_mu);
    return WriteLocked(std::move(message));
  }
  uint64_t WriteLocked(pb::ConnectResponse message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (closed) return 0;
    const uint64_t sequence = next_sequence++;
    message.set_sequence(sequence);
    return stream->Write(message) ? sequence : 0;
  }

  grpc::ServerContext* const context;
  ServerStream* const stream;
  absl::Mutex write_mu;
  uint64_t next_sequence ABSL_GUARDED_BY(write_mu) = 1;
  bool closed ABSL_GUARDED_BY(write_mu) = false;
};

class TestHub::Service final : public pb::HubService::Service {
 public:
  explicit Service(TestHub* hub) : hub_(hub) {}

  grpc::Status Connect(grpc::ServerContext* context, ServerStream* stream) override {
    pb::ConnectRequest first;
    if (!stream->Read(&first) || !first.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "test hub: the first message must be a WorkerHello");
    }
    auto live = std::make_shared<LiveStream>(context, stream);
    pb::ConnectResponse welcome;
    welcome.mutable_welcome()->set_controller_id(hub_->options_.controller_id);
    const int64_t nanos = absl::ToInt64Nanoseconds(hub_->options_.heartbeat_interval);
    welcome.mutable_welcome()->mutable_heartbeat_interval()->set_seconds(nanos / 1000000000);
    welcome.mutable_welcome()->mutable_heartbeat_interval()->set_nanos(
        static_cast<int32_t>(nanos % 1000000000));
    {
      // Registered before the welcome is written, so that a test which saw the worker
      // welcomed also sees the stream; the write lock keeps every other message (a
      // test's Send, a heartbeat) behind the welcome, which must come first.
      absl::MutexLock write_lock(&live->write_mu);
      {
        absl::MutexLock lock(&hub_->mu_);
        if (hub_->shutdown_) return grpc::Status::CANCELLED;
        hub_->live_.push_back(live);
        ++hub_->welcomed_;
        hub_->hellos_.push_back(first.hello());
        hub_->changed_.SignalAll();
      }
      live->WriteLocked(std::move(welcome));
    }
    pb::ConnectRequest message;
    while (stream->Read(&message)) hub_->received_.Add(message);
    {
      absl::MutexLock lock(&live->write_mu);
      live->closed = true;
    }
    absl::MutexLock lock(&hub_->mu_);
    hub_->live_.erase(std::remove(hub_->live_.begin(), hub_->live_.end(), live), hub_->live_.end());
    hub_->changed_.SignalAll();
    return grpc::Status::OK;
  }

 private:
  TestHub* const hub_;
};

TestHub::TestHub(Options options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<TestHub>> TestHub::Start(Options options) {
  std::unique_ptr<TestHub> hub(new TestHub(std::move(options)));
  hub->service_ = std::make_unique<Service>(hub.get());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", hub->options_.port),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(hub->service_.get());
  hub->server_ = builder.BuildAndStart();
  if (hub->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("test hub: could not listen on 127.0.0.1:", hub->options_.port));
  }
  hub->address_ = absl::StrCat("127.0.0.1:", port);
  hub->heartbeat_thread_ = std::thread([raw = hub.get()] { raw->RunHeartbeats(); });
  return hub;
}

TestHub::~TestHub() { Shutdown(); }

void TestHub::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_) return;
    shutdown_ = true;
    for (const std::shared_ptr<LiveStream>& live : live_) live->context->TryCancel();
    changed_.SignalAll();
  }
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
}

void TestHub::RunHeartbeats() {
  while (true) {
    std::vector<std::shared_ptr<LiveStream>> live;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time deadline = absl::Now() + options_.heartbeat_interval;
      while (!shutdown_ && absl::Now() < deadline) changed_.WaitWithDeadline(&mu_, deadline);
      if (shutdown_) return;
      if (!options_.send_heartbeats) continue;
      live = live_;
    }
    for (const std::shared_ptr<LiveStream>& stream : live) {
      pb::ConnectResponse heartbeat;
      heartbeat.mutable_heartbeat()->mutable_sent_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
      stream->Write(std::move(heartbeat));
    }
  }
}

absl::Status TestHub::WaitForStreams(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const absl::Time deadline = absl::Now() + timeout;
  while (welcomed_ < count && absl::Now() < deadline) changed_.WaitWithDeadline(&mu_, deadline);
  if (welcomed_ >= count) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("test hub: ", welcomed_, " of ", count,
                                                  " streams welcomed after ",
                                                  absl::FormatDuration(timeout)));
}

int TestHub::streams_welcomed() const {
  absl::MutexLock lock(&mu_);
  return welcomed_;
}

int TestHub::live_streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(live_.size());
}

std::vector<pb::WorkerHello> TestHub::hellos() const {
  absl::MutexLock lock(&mu_);
  return hellos_;
}

absl::StatusOr<uint64_t> TestHub::Send(pb::ConnectResponse message) {
  std::shared_ptr<LiveStream> newest;
  {
    absl::MutexLock lock(&mu_);
    if (live_.empty()) return absl::UnavailableError("test hub: no worker is connected");
    newest = live_.back();
  }
  const uint64_t sequence = newest->Write(std::move(message));
  if (sequence == 0) return absl::UnavailableError("test hub: the worker's stream ended");
  return sequence;
}

absl::StatusOr<uint64_t> TestHub::SendConverge(const pb::ConvergeRequest& request) {
  pb::ConnectResponse message;
  *message.mutable_converge() = request;
  return Send(std::move(message));
}

std::vector<pb::ConnectRequest> TestHub::received() const { return received_.All(); }

size_t TestHub::received_count() const { return received_.size(); }

absl::StatusOr<pb::ConnectRequest> TestHub::WaitFor(
    const std::function<bool(const pb::ConnectRequest&)>& matches, absl::Duration timeout,
    size_t from) {
  return received_.WaitFor(matches, timeout, from);
}

absl::StatusOr<pb::Acknowledgement> TestHub::WaitForAck(uint64_t sequence, absl::Duration timeout,
                                                        size_t from) {
  absl::StatusOr<pb::ConnectRequest> found = WaitFor(
      [sequence](const pb::ConnectRequest& m) {
        return m.has_ack() && m.ack().sequence() == sequence && !m.ack().receipt();
      },
      timeout, from);
  if (!found.ok()) {
    return absl::DeadlineExceededError(
        absl::StrCat("test hub: no acknowledgement of sequence ", sequence, ": ", found.status().message()));
  }
  return found->ack();
}

absl::StatusOr<pb::JobObservation> TestHub::WaitForJob(absl::string_view job_name, pb::JobPhase phase,
                                                       absl::Duration timeout, size_t from) {
  absl::StatusOr<pb::ConnectRequest> found = WaitFor(
      [&](const pb::ConnectRequest& m) {
        return m.has_job() && m.job().job_name() == job_name && m.job().phase() == phase;
      },
      timeout, from);
  if (!found.ok()) {
    return absl::DeadlineExceededError(absl::StrCat("test hub: no observation of Job ", job_name,
                                                    " in phase ", pb::JobPhase_Name(phase), ": ",
                                                    found.status().message()));
  }
  return found->job();
}

void TestHub::DropStreams() {
  absl::MutexLock lock(&mu_);
  for (const std::shared_ptr<LiveStream>& live : live_) live->context->TryCancel();
}

}  // namespace werf::hub::testing
