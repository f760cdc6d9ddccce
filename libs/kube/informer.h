// An informer in the manner of client-go's SharedInformer: list, then watch from
// the list's resourceVersion, keeping an ObjectStore current and telling handlers
// about adds, updates and deletes.
//
// Behaviour that operators rely on, as client-go's reflector does it:
// - watches carry allowWatchBookmarks and a randomised timeoutSeconds, so many
//   informers do not re-watch in lockstep;
// - a watch that ends normally is resumed from the last resourceVersion seen;
// - 410 Gone / Expired (the resourceVersion was compacted away) relists, and the
//   relist reports objects that vanished meanwhile as deletes;
// - transport errors back off 800 ms doubling to 30 s with full jitter, reset
//   after 2 minutes of healthy watching;
// - an optional resync periodically re-delivers every object as an update.
// Handlers run on the informer's threads and must be quick (enqueue a key).
#ifndef WERF_OPERATOR_LIBS_KUBE_INFORMER_H_
#define WERF_OPERATOR_LIBS_KUBE_INFORMER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/kube/object_store.h"
#include "libs/kube/object_transforms.h"
#include "libs/kube/resource.h"
#include "libs/kube/rest_client.h"

namespace werf::kube {


struct InformerOptions {
  Resource resource;
  std::string ns{};  // empty: all namespaces
  std::string label_selector{};
  std::string field_selector{};
  int64_t list_page_size = 500;
  // List and watch PartialObjectMetadata (metadata only, as client-go's metadata
  // informers): for caches that only need to know an object exists and its labels and
  // annotations, the server sends nothing else.
  bool metadata_only = false;
  // Watches end after a random time in [min_watch_timeout, 2 * min_watch_timeout).
  absl::Duration min_watch_timeout = absl::Minutes(5);
  absl::Duration resync_period = absl::ZeroDuration();  // zero: no resync
  // Name for logs and metrics; defaults to the resource's display name.
  std::string name{};
  // Applied to every object before it is stored or handed to a handler, as
  // client-go's SetTransform: keep only what the consumer reads, so a cache of many
  // objects stays small. The result must keep metadata.namespace and metadata.name.
  // The default drops metadata.managedFields, which no controller reads and which is
  // often most of an object's size.
  std::function<nlohmann::json(nlohmann::json)> transform = DropManagedFields;
  // When set, what the store keeps of each (transformed) object, for a consumer that
  // holds its own converted copy (the gateway): handlers still receive the whole
  // transformed object on add and update, but store(), the old object of on_update and
  // the object of a relist's on_delete (and of a resync) are projections. The result
  // must keep metadata.namespace, name and resourceVersion.
  std::function<nlohmann::json(const nlohmann::json&)> store_projection{};
  // Times the relist backoff and the resync period; defaults to common::RealClock().
  // Must outlive the informer.
  common::Clock* clock = nullptr;
};


struct InformerHandlers {
  std::function<void(const ObjectPtr&)> on_add{};
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update{};
  // The last known state of the deleted object.
  std::function<void(const ObjectPtr&)> on_delete{};
};

class Informer {
 public:
  Informer(std::shared_ptr<RestClient> client, InformerOptions options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Handlers added before Start() see every object; later ones see only later events.
  void AddHandlers(InformerHandlers handlers);
  void Start();
  void Stop();

  // True once the first list has been delivered to the store and the handlers.
  bool HasSynced() const { return synced_.HasBeenNotified(); }
  bool WaitForSync(absl::Duration timeout) const {
    return synced_.WaitForNotificationWithTimeout(timeout);
  }

  const ObjectStore& store() const { return store_; }
  // The resourceVersion the informer has caught up to.
  std::string LastResourceVersion() const;
  // How many times the informer listed (1 + relists), for tests and metrics.
  int list_count() const { return list_count_.load(); }

 private:
  void Run();
  void RunResync();
  // Lists and replaces the store. Returns the list's resourceVersion.
  absl::StatusOr<std::string> ListAndReplace();
  // Watches from `resource_version` until the stream ends, fails or stop.
  // Updates `resource_version` as events arrive.
  absl::Status WatchOnce(std::string& resource_version);
  void Deliver(const std::string& type, nlohmann::json object);
  nlohmann::json Transform(nlohmann::json object) const;
  // The store's copy of `object`: itself, or its store_projection.
  ObjectPtr Project(const ObjectPtr& object) const;
  void SetResourceVersion(const std::string& resource_version);
  bool SleepUnlessStopped(absl::Duration duration);

  const std::shared_ptr<RestClient> client_;
  const InformerOptions options_;
  common::Clock& clock_;
  ObjectStore store_;
  absl::Notification synced_;
  std::atomic<bool> stop_{false};
  std::atomic<int> list_count_{0};
  std::thread thread_;
  std::thread resync_thread_;

  mutable absl::Mutex mu_;
  std::vector<InformerHandlers> handlers_ ABSL_GUARDED_BY(mu_);
  std::string resource_version_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar stopped_cv_;  // signalled when stopped_ is set
};

}  // namespace werf::kube

#endif  // WERF_OPERATOR_LIBS_KUBE_INFORMER_H_
