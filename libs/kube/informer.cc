#include "libs/kube/informer.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "libs/common/backoff.h"
#include "libs/common/logging.h"
#include "libs/kube/api_error.h"
#include "libs/kube/watch_parser.h"

namespace werf::kube {
namespace {

std::string ResourceVersionOf(const nlohmann::json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return metadata->value("resourceVersion", "");
}

}  // namespace

Informer::Informer(std::shared_ptr<RestClient> client, InformerOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::RealClock()) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandlers(InformerHandlers handlers) {
  absl::MutexLock lock(&mu_);
  handlers_.push_back(std::move(handlers));
}

void Informer::Start() {
  thread_ = std::thread([this] { Run(); });
  if (options_.resync_period > absl::ZeroDuration()) {
    resync_thread_ = std::thread([this] { RunResync(); });
  }
}

void Informer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stopped_cv_.SignalAll();
  }
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
}

std::string Informer::LastResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return resource_version_;
}

void Informer::SetResourceVersion(const std::string& resource_version) {
  absl::MutexLock lock(&mu_);
  resource_version_ = resource_version;
}

bool Informer::SleepUnlessStopped(absl::Duration duration) {
  const absl::Time deadline = clock_.Now() + duration;
  absl::MutexLock lock(&mu_);
  while (!stopped_ && clock_.Now() < deadline) clock_.WaitWithDeadline(&mu_, &stopped_cv_, deadline);
  return !stopped_;
}

absl::StatusOr<std::string> Informer::ListAndReplace() {
  ListOptions list_options{.label_selector = options_.label_selector,
                           .field_selector = options_.field_selector,
                           .limit = options_.list_page_size,
                           .metadata_only = options_.metadata_only};
  // Each page is transformed as it arrives: the raw list of thousands of objects is
  // never held whole.
  std::vector<ObjectPtr> fresh;
  absl::StatusOr<std::string> resource_version =
      client_->ListEach(options_.resource, options_.ns, list_options, [&](nlohmann::json item) {
        fresh.push_back(std::make_shared<const nlohmann::json>(Transform(std::move(item))));
      });
  if (!resource_version.ok()) return resource_version.status();
  list_count_.fetch_add(1);

  // Tell handlers what changed relative to the old cache, as a DeltaFIFO Replace would.
  std::vector<std::pair<ObjectPtr, ObjectPtr>> changes;  // (old, new)
  changes.reserve(fresh.size());
  for (const ObjectPtr& object : fresh) changes.emplace_back(store_.Get(ObjectKey(*object)), object);
  std::vector<ObjectPtr> stored;
  stored.reserve(fresh.size());
  for (const ObjectPtr& object : fresh) stored.push_back(Project(object));
  fresh.clear();  // the changes hold what handlers need
  const std::vector<ObjectPtr> removed = store_.Replace(std::move(stored));

  std::vector<InformerHandlers> handlers;
  {
    absl::MutexLock lock(&mu_);
    handlers = handlers_;
  }
  for (const InformerHandlers& h : handlers) {
    for (const ObjectPtr& gone : removed) {
      if (h.on_delete) h.on_delete(gone);
    }
    for (const auto& [old_object, new_object] : changes) {
      if (old_object == nullptr) {
        if (h.on_add) h.on_add(new_object);
      } else if (h.on_update) {
        h.on_update(old_object, new_object);
      }
    }
  }
  SetResourceVersion(*resource_version);
  return *resource_version;
}

ObjectPtr Informer::Project(const ObjectPtr& object) const {
  if (!options_.store_projection) return object;
  return std::make_shared<const nlohmann::json>(options_.store_projection(*object));
}

nlohmann::json Informer::Transform(nlohmann::json object) const {
  return options_.transform ? options_.transform(std::move(object)) : object;
}

void Informer::Deliver(const std::string& type, nlohmann::json object) {
  auto shared = std::make_shared<const nlohmann::json>(Transform(std::move(object)));
  std::vector<InformerHandlers> handlers;
  {
    absl::MutexLock lock(&mu_);
    handlers = handlers_;
  }
  if (type == "DELETED") {
    store_.Remove(ObjectKey(*shared));
    for (const InformerHandlers& h : handlers) {
      if (h.on_delete) h.on_delete(shared);
    }
    return;
  }
  ObjectPtr previous = store_.Upsert(Project(shared));
  for (const InformerHandlers& h : handlers) {
    if (previous == nullptr) {
      if (h.on_add) h.on_add(shared);
    } else if (h.on_update) {
      h.on_update(previous, shared);
    }
  }
}

absl::Status Informer::WatchOnce(std::string& resource_version) {
  absl::BitGen random;
  const absl::Duration timeout =
      options_.min_watch_timeout + options_.min_watch_timeout * absl::Uniform(random, 0.0, 1.0);
  WatchOptions watch_options{.resource_version = resource_version,
                             .label_selector = options_.label_selector,
                             .field_selector = options_.field_selector,
                             .timeout_seconds =
                                 std::max(1, static_cast<int>(absl::ToInt64Seconds(timeout))),
                             .allow_bookmarks = true,
                             .metadata_only = options_.metadata_only};
  WatchStreamParser parser;
  absl::Status stream_error;  // an ERROR event, or a malformed stream
  const absl::Status watched = client_->Watch(
      options_.resource, options_.ns, watch_options,
      [&](absl::string_view chunk) {
        const absl::Status fed = parser.Feed(chunk, [&](WatchEvent event) {
          if (!stream_error.ok()) return;
          switch (event.type) {
            case WatchEventType::kError: {
              const std::optional<KubeStatus> status = event.AsStatus();
              const int code = status && status->code > 0 ? status->code : 500;
              stream_error = StatusFromApiResponse(code, event.object.dump(),
                                                   "watch " + options_.resource.DisplayName());
              return;
            }
            case WatchEventType::kBookmark:
              resource_version = ResourceVersionOf(event.object);
              SetResourceVersion(resource_version);
              return;
            case WatchEventType::kAdded:
            case WatchEventType::kModified:
            case WatchEventType::kDeleted: {
              const std::string next = ResourceVersionOf(event.object);
              Deliver(event.type == WatchEventType::kDeleted ? "DELETED" : "UPSERT",
                      std::move(event.object));
              if (!next.empty()) {
                resource_version = next;
                SetResourceVersion(next);
              }
              return;
            }
          }
        });
        if (!fed.ok() && stream_error.ok()) stream_error = fed;
        return stream_error.ok() && !stop_.load();
      },
      &stop_);
  if (!stream_error.ok()) return stream_error;
  return watched;
}

void Informer::Run() {
  const std::string name = options_.name.empty() ? options_.resource.DisplayName() : options_.name;
  common::BackoffOptions backoff_options;
  backoff_options.initial = absl::Milliseconds(800);
  backoff_options.max = absl::Seconds(30);
  backoff_options.reset_after = absl::Minutes(2);
  common::ExponentialBackoff backoff = *common::ExponentialBackoff::Create(backoff_options);

  while (!stop_.load()) {
    absl::StatusOr<std::string> listed = ListAndReplace();
    if (!listed.ok()) {
      const absl::Duration delay = backoff.Next(clock_.Now());
      common::LogWarning("informer list failed", {{"informer", name},
                                                   {"error", listed.status().ToString()},
                                                   {"retry_in", absl::FormatDuration(delay)}});
      SleepUnlessStopped(delay);
      continue;
    }
    if (!synced_.HasBeenNotified()) synced_.Notify();
    std::string resource_version = *listed;

    while (!stop_.load()) {
      const absl::Status watched = WatchOnce(resource_version);
      if (stop_.load()) return;
      if (watched.ok()) continue;  // the server ended the watch on time; resume
      if (IsApiGone(watched)) {
        common::LogInfo("informer resourceVersion expired; relisting",
                        {{"informer", name}, {"resource_version", resource_version}});
        break;
      }
      const absl::Duration delay = backoff.Next(clock_.Now());
      common::LogWarning("informer watch failed", {{"informer", name},
                                                    {"error", watched.ToString()},
                                                    {"retry_in", absl::FormatDuration(delay)}});
      if (!SleepUnlessStopped(delay)) return;
    }
  }
}

void Informer::RunResync() {
  while (SleepUnlessStopped(options_.resync_period)) {
    if (!HasSynced()) continue;
    std::vector<InformerHandlers> handlers;
    {
      absl::MutexLock lock(&mu_);
      handlers = handlers_;
    }
    for (const ObjectPtr& object : store_.List()) {
      for (const InformerHandlers& h : handlers) {
        if (h.on_update) h.on_update(object, object);
      }
    }
  }
}

}  // namespace werf::kube
