// HubWorker against TestHub (the test double of the controller's hub) over real
// gRPC on loopback.
#include "libs/hub/hub_worker.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/hub/testing/test_hub.h"

namespace werf::hub {
namespace {

namespace pb = ::werf::operator_::v1;
using ::werf::hub::testing::TestHub;

// What the handlers saw, safe to read from the test thread.
class Recorder {
 public:
  HubWorkerHandlers Handlers() {
    return {.on_connected =
                [this](StreamId stream, const pb::HubWelcome& welcome) {
                  absl::MutexLock lock(&mu_);
                  connected_.push_back(stream);
                  controller_ids_.push_back(welcome.controller_id());
                },
            .on_message =
                [this](StreamId stream, const pb::ConnectResponse& message) {
                  absl::MutexLock lock(&mu_);
                  messages_.push_back(message);
                  message_streams_.push_back(stream);
                },
            .on_disconnected =
                [this](StreamId stream, const absl::Status&) {
                  absl::MutexLock lock(&mu_);
                  disconnected_.push_back(stream);
                }};
  }

  bool WaitForConnects(size_t count, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return connected_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  bool WaitForMessages(size_t count, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return messages_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<StreamId> connected() {
    absl::MutexLock lock(&mu_);
    return connected_;
  }
  std::vector<std::string> controller_ids() {
    absl::MutexLock lock(&mu_);
    return controller_ids_;
  }
  std::vector<StreamId> disconnected() {
    absl::MutexLock lock(&mu_);
    return disconnected_;
  }
  std::vector<pb::ConnectResponse> messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }

 private:
  absl::Mutex mu_;
  std::vector<StreamId> connected_;
  std::vector<std::string> controller_ids_;
  std::vector<StreamId> disconnected_;
  std::vector<pb::ConnectResponse> messages_;
  std::vector<StreamId> message_streams_;
};

std::unique_ptr<TestHub> StartHub(absl::Duration heartbeat = absl::Milliseconds(200),
                                  bool send_heartbeats = true) {
  absl::StatusOr<std::unique_ptr<TestHub>> hub =
      TestHub::Start({.heartbeat_interval = heartbeat, .send_heartbeats = send_heartbeats});
  EXPECT_TRUE(hub.ok()) << hub.status();
  return hub.ok() ? *std::move(hub) : nullptr;
}

std::unique_ptr<HubWorker> StartWorker(const std::string& address, Recorder& recorder,
                                       const std::string& worker_id = "worker-1") {
  absl::StatusOr<std::unique_ptr<HubWorker>> worker =
      HubWorker::Create({.controller_address = address,
                         .kind = pb::WORKER_KIND_CONVERGER,
                         .version = "1.2.3",
                         .capacity = 4,
                         .worker_id = worker_id,
                         .initial_backoff = absl::Milliseconds(100),
                         .max_backoff = absl::Milliseconds(400)},
                        recorder.Handlers());
  EXPECT_TRUE(worker.ok()) << worker.status();
  if (!worker.ok()) return nullptr;
  (*worker)->Start();
  return *std::move(worker);
}

pb::ConnectRequest Ack(uint64_t sequence) {
  pb::ConnectRequest message;
  message.mutable_ack()->set_sequence(sequence);
  message.mutable_ack()->set_accepted(true);
  return message;
}

TEST(HubWorker, AnnouncesItselfAndIsWelcomed) {
  auto hub = StartHub();
  Recorder recorder;
  auto worker = StartWorker(hub->address(), recorder);
  ASSERT_TRUE(recorder.WaitForConnects(1));
  ASSERT_EQ(hub->hellos().size(), 1u);
  const pb::WorkerHello hello = hub->hellos()[0];
  EXPECT_EQ(hello.worker_id(), "worker-1");
  EXPECT_EQ(hello.kind(), pb::WORKER_KIND_CONVERGER);
  EXPECT_EQ(hello.version(), "1.2.3");
  EXPECT_EQ(hello.capacity(), 4u);
  EXPECT_TRUE(worker->connected());
  EXPECT_EQ(worker->current_stream(), 1u);
  EXPECT_EQ(recorder.controller_ids(), std::vector<std::string>{"test-hub"});
}

TEST(HubWorker, DeliversHubMessagesInOrderWithoutHeartbeats) {
  auto hub = StartHub(absl::Milliseconds(50));
  Recorder recorder;
  auto worker = StartWorker(hub->address(), recorder);
  ASSERT_TRUE(recorder.WaitForConnects(1));
  for (const char* tag : {"1.0.0", "1.0.1", "1.0.2"}) {
    pb::ConvergeRequest request;
    request.set_tag(tag);
    ASSERT_TRUE(hub->SendConverge(request).ok());
  }
  absl::SleepFor(absl::Milliseconds(300));  // several hub heartbeats pass meanwhile
  ASSERT_TRUE(recorder.WaitForMessages(3));
  const std::vector<pb::ConnectResponse> messages = recorder.messages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].converge().tag(), "1.0.0");
  EXPECT_EQ(messages[2].converge().tag(), "1.0.2");
  // The welcome took sequence 1.
  EXPECT_EQ(messages[0].sequence(), 2u);
  EXPECT_EQ(messages[2].sequence(), 4u);
}

TEST(HubWorker, SendsMessagesAndHeartbeatsAtTheWelcomedInterval) {
  auto hub = StartHub(absl::Milliseconds(100));
  Recorder recorder;
  auto worker = StartWorker(hub->address(), recorder);
  ASSERT_TRUE(recorder.WaitForConnects(1));
  ASSERT_TRUE(worker->Send(Ack(7)).ok());
  ASSERT_TRUE(hub->WaitForAck(7, absl::Seconds(5)).ok());
  absl::SleepFor(absl::Milliseconds(700));
  int heartbeats = 0;
  for (const pb::ConnectRequest& message : hub->received()) heartbeats += message.has_heartbeat();
  // About 6 at 100 ms; the bounds leave room for a loaded machine.
  EXPECT_GE(heartbeats, 3);
  EXPECT_LE(heartbeats, 12);
}

TEST(HubWorker, ReconnectsAndAnnouncesAgainWhenTheHubDropsTheStream) {
  auto hub = StartHub();
  Recorder recorder;
  auto worker = StartWorker(hub->address(), recorder);
  ASSERT_TRUE(recorder.WaitForConnects(1));
  hub->DropStreams();
  ASSERT_TRUE(recorder.WaitForConnects(2));
  EXPECT_EQ(recorder.connected(), (std::vector<StreamId>{1, 2}));
  EXPECT_EQ(recorder.disconnected(), std::vector<StreamId>{1});
  ASSERT_EQ(hub->hellos().size(), 2u);
  EXPECT_EQ(hub->hellos()[1].worker_id(), "worker-1");
  EXPECT_TRUE(worker->connected());
}

TEST(HubWorker, RepliesToAnEndedStreamAreRefused) {
  auto hub = StartHub();
  Recorder recorder;
  auto worker = StartWorker(hub->address(), recorder);
  ASSERT_TRUE(recorder.WaitForConnects(1));
  hub->DropStreams();
  ASSERT_TRUE(recorder.WaitForConnects(2));
  EXPECT_EQ(worker->SendOnStream(1, Ack(1)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(worker->SendOnStream(2, Ack(2)).ok());
  EXPECT_TRUE(hub->WaitForAck(2, absl::Seconds(5)).ok());
}

TEST(HubWorker, ClosesAStreamOnWhichTheHubIsSilent) {
  auto hub = StartHub(absl::Milliseconds(100), /*send_heartbeats=*/false);
  Recorder recorder;
  auto worker = StartWorker(hub->address(), recorder);
  ASSERT_TRUE(recorder.WaitForConnects(1));
  // Three silent intervals (300 ms) end the stream; the worker then dials again.
  ASSERT_TRUE(recorder.WaitForConnects(2, absl::Seconds(5)));
  EXPECT_GE(recorder.disconnected().size(), 1u);
}

TEST(HubWorker, KeepsDialingWhileNoHubListensAndStopsPromptly) {
  Recorder recorder;
  // Port 1 on loopback: nothing listens, every dial fails at once.
  auto worker = StartWorker("127.0.0.1:1", recorder);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(worker->connected());
  EXPECT_EQ(worker->Send(Ack(1)).code(), absl::StatusCode::kUnavailable);
  const absl::Time before = absl::Now();
  worker->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));
}

TEST(HubWorker, ConnectsToAHubThatStartsLater) {
  // Learn a free port, then free it again: the "controller" is down when the worker starts.
  int port = 0;
  {
    auto probe = StartHub();
    port = std::stoi(probe->address().substr(probe->address().rfind(':') + 1));
  }
  Recorder recorder;
  auto worker = StartWorker("127.0.0.1:" + std::to_string(port), recorder);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(worker->connected());
  absl::StatusOr<std::unique_ptr<TestHub>> hub = TestHub::Start({.port = port});
  ASSERT_TRUE(hub.ok()) << hub.status();
  ASSERT_TRUE(recorder.WaitForConnects(1, absl::Seconds(10)));
  EXPECT_TRUE(worker->connected());
}

TEST(HubWorker, StopClosesTheStreamAndSilencesHandlers) {
  auto hub = StartHub();
  Recorder recorder;
  auto worker = StartWorker(hub->address(), recorder);
  ASSERT_TRUE(recorder.WaitForConnects(1));
  worker->Stop();
  EXPECT_FALSE(worker->connected());
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (hub->live_streams() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(hub->live_streams(), 0);
  pb::ConvergeRequest request;
  EXPECT_FALSE(hub->SendConverge(request).ok());
  EXPECT_TRUE(recorder.messages().empty());
}

TEST(HubWorker, CreateRejectsMissingAddressOrKind) {
  EXPECT_EQ(HubWorker::Create({.kind = pb::WORKER_KIND_POLLER}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HubWorker::Create({.controller_address = "127.0.0.1:1"}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HubWorker, NewWorkerIdIsUniquePerCall) {
  const std::string a = NewWorkerId();
  const std::string b = NewWorkerId();
  EXPECT_NE(a, b);
  EXPECT_THAT(a, ::testing::MatchesRegex(".+-[0-9a-f]{8}"));
}

}  // namespace
}  // namespace werf::hub
