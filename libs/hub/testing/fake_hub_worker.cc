#include "libs/hub/testing/fake_hub_worker.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace werf::hub::testing {
namespace {

namespace pb = ::werf::operator_::v1;

// "track", "converge", ...: a oneof case is its field's number.
std::string CaseName(pb::ConnectResponse::MessageCase kind) {
  const google::protobuf::FieldDescriptor* field =
      pb::ConnectResponse::descriptor()->FindFieldByNumber(static_cast<int>(kind));
  return field != nullptr ? std::string(field->name()) : absl::StrCat("case ", static_cast<int>(kind));
}

std::function<bool(const pb::ConnectResponse&)> OfKind(pb::ConnectResponse::MessageCase kind) {
  return [kind](const pb::ConnectResponse& message) { return message.message_case() == kind; };
}

}  // namespace

FakeHubWorker::FakeHubWorker(const std::string& address, Options options)
    : FakeHubWorker(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()),
                    std::move(options)) {}

FakeHubWorker::FakeHubWorker(std::shared_ptr<grpc::Channel> channel, Options options)
    : options_(std::move(options)),
      stub_(pb::HubService::NewStub(std::move(channel))),
      received_(absl::StrCat("fake hub worker ", options_.worker_id)) {
  stream_ = stub_->Connect(&context_);
  pb::ConnectRequest hello;
  hello.mutable_hello()->set_worker_id(options_.worker_id);
  hello.mutable_hello()->set_kind(options_.kind);
  Send(hello);
  reader_ = std::thread([this] { ReadLoop(); });
}

FakeHubWorker::~FakeHubWorker() { Close(); }

void FakeHubWorker::Close() {
  if (closed_) return;
  closed_ = true;
  context_.TryCancel();
  reader_.join();
}

bool FakeHubWorker::Send(const pb::ConnectRequest& message) {
  absl::MutexLock lock(&write_mu_);
  if (ended_) return false;
  return stream_->Write(message);
}

void FakeHubWorker::ReadLoop() {
  pb::ConnectResponse message;
  while (stream_->Read(&message)) {
    const bool heartbeat = message.has_heartbeat();
    received_.Add(message);
    if (heartbeat && options_.answer_heartbeats) {
      pb::ConnectRequest beat;
      beat.mutable_heartbeat();
      Send(beat);
    }
  }
  // The hub ended the stream or Close cancelled it. Finish collects the call's status
  // (gRPC wants it once nothing more will be read or written); Send stops writing.
  absl::MutexLock lock(&write_mu_);
  ended_ = true;
  (void)stream_->Finish();
}

std::vector<pb::ConnectResponse> FakeHubWorker::received() const { return received_.All(); }

size_t FakeHubWorker::received_count() const { return received_.size(); }

std::vector<pb::ConnectResponse> FakeHubWorker::Received(pb::ConnectResponse::MessageCase kind) const {
  return received_.Matching(OfKind(kind));
}

absl::StatusOr<pb::ConnectResponse> FakeHubWorker::WaitFor(
    const std::function<bool(const pb::ConnectResponse&)>& matches, absl::Duration timeout, size_t from) {
  return received_.WaitFor(matches, timeout, from);
}

absl::StatusOr<pb::ConnectResponse> FakeHubWorker::WaitForKind(pb::ConnectResponse::MessageCase kind,
                                                               absl::Duration timeout, size_t from) {
  return received_.WaitFor(OfKind(kind), timeout, from);
}

absl::Status FakeHubWorker::WaitForCount(pb::ConnectResponse::MessageCase kind, size_t count,
                                         absl::Duration timeout) {
  return received_.WaitForCount(OfKind(kind), count, timeout, absl::StrCat(CaseName(kind), " messages"));
}

}  // namespace werf::hub::testing
