#include "test/bench/watch_fanout.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "werf/operator/v1/bundle_service.grpc.pb.h"

namespace werf::bench {

namespace pb = ::werf::operator_::v1;

class WatchFanout::Stream : public grpc::ClientReadReactor<pb::WatchBundlesResponse> {
 public:
  Stream(WatchFanout& fanout, int index, pb::BundleService::Stub& stub, pb::WatchBundlesRequest request)
      : fanout_(fanout), index_(index), request_(std::move(request)) {
    stub.async()->WatchBundles(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    switch (response_.type()) {
      case pb::WATCH_EVENT_TYPE_SYNCED:
        if (!synced_) fanout_.NoteSynced();
        synced_ = true;
        break;
      case pb::WATCH_EVENT_TYPE_MODIFIED:
        if (synced_) fanout_.NoteModified(index_, response_.bundle().namespace_(), response_.bundle().name());
        break;
      default:
        break;
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status&) override { fanout_.NoteDone(); }

 private:
  WatchFanout& fanout_;
  const int index_;
  grpc::ClientContext context_;
  pb::WatchBundlesRequest request_;
  pb::WatchBundlesResponse response_;
  bool synced_ = false;  // only touched by this stream's reactions, which gRPC serialises
};

WatchFanout::WatchFanout(WatchFanoutOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<WatchFanout>> WatchFanout::Open(const WatchFanoutOptions& options) {
  std::unique_ptr<WatchFanout> fanout(new WatchFanout(options));
  {
    absl::MutexLock lock(&fanout->mu_);
    fanout->arrived_.assign(options.streams, absl::InfinitePast());
  }
  // A local subchannel pool per channel: each is its own connection.
  std::vector<std::unique_ptr<pb::BundleService::Stub>> stubs;
  for (int c = 0; c < std::max(1, options.connections); ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    fanout->channels_.push_back(grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args));
    stubs.push_back(pb::BundleService::NewStub(fanout->channels_.back()));
  }
  pb::WatchBundlesRequest request;
  request.set_namespace_(options.watch_namespace);
  request.set_label_selector(options.label_selector);
  const absl::Time start = absl::Now();
  for (int i = 0; i < options.streams; ++i) {
    fanout->streams_.push_back(std::make_unique<Stream>(*fanout, i, *stubs[i % stubs.size()], request));
  }
  int synced = 0;
  int ended = 0;
  {
    absl::MutexLock lock(&fanout->mu_);
    fanout->mu_.AwaitWithTimeout(absl::Condition(fanout.get(), &WatchFanout::OpenedOrFailed), options.timeout);
    synced = fanout->synced_;
    ended = fanout->done_;
  }
  if (synced < options.streams) {
    return absl::DeadlineExceededError(absl::StrCat(synced, " of ", options.streams,
                                                    " WatchBundles streams synced, ", ended,
                                                    " ended early (is the gateway's --max_watches below ",
                                                    options.streams, "?)"));
  }
  fanout->open_seconds_ = absl::ToDoubleSeconds(absl::Now() - start);
  return fanout;
}

WatchFanout::~WatchFanout() {
  for (const std::unique_ptr<Stream>& stream : streams_) stream->Cancel();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &WatchFanout::AllEnded));
}

bool WatchFanout::OpenedOrFailed() const { return synced_ >= options_.streams || done_ > 0; }
bool WatchFanout::AllEnded() const { return done_ >= static_cast<int>(streams_.size()); }
bool WatchFanout::AllReceived() const { return received_ >= options_.streams || done_ > 0; }

void WatchFanout::NoteSynced() {
  absl::MutexLock lock(&mu_);
  ++synced_;
}

void WatchFanout::NoteDone() {
  absl::MutexLock lock(&mu_);
  ++done_;
}

void WatchFanout::NoteModified(int stream, const std::string& ns, const std::string& name) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (target_.empty() || target_ != absl::StrCat(ns, "/", name)) return;
  if (arrived_[stream] != absl::InfinitePast()) return;
  arrived_[stream] = now;
  ++received_;
}

absl::StatusOr<WatchFanoutFigures> WatchFanout::Measure(const std::string& ns, const std::string& name,
                                                        const std::function<absl::Status()>& trigger) {
  {
    absl::MutexLock lock(&mu_);
    target_ = absl::StrCat(ns, "/", name);
    arrived_.assign(options_.streams, absl::InfinitePast());
    received_ = 0;
  }
  const absl::Time triggered = absl::Now();
  if (absl::Status made = trigger(); !made.ok()) return made;
  WatchFanoutFigures figures{.streams = options_.streams, .open_seconds = open_seconds_};
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(this, &WatchFanout::AllReceived), options_.timeout);
  figures.received = received_;
  absl::Time first = absl::InfiniteFuture();
  absl::Time last = absl::InfinitePast();
  for (const absl::Time at : arrived_) {
    if (at == absl::InfinitePast()) continue;
    first = std::min(first, at);
    last = std::max(last, at);
  }
  target_.clear();
  if (received_ == 0) {
    return absl::DeadlineExceededError(absl::StrCat("no WatchBundles stream received a change of ", ns, "/", name,
                                                    " within ", absl::FormatDuration(options_.timeout)));
  }
  figures.trigger_to_first_ms = absl::ToDoubleMilliseconds(first - triggered);
  figures.trigger_to_last_ms = absl::ToDoubleMilliseconds(last - triggered);
  figures.first_to_last_ms = absl::ToDoubleMilliseconds(last - first);
  return figures;
}

}  // namespace werf::bench
