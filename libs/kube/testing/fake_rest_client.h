// An in-memory API server behind the RestClient interface, so code that reads and
// writes Kubernetes objects gets unit tests without a test bed, in the manner of
// client-go's fake clientset and its object tracker.
//
// What it does as the API server does, because product code branches on it:
// - one resourceVersion counter for every write (as etcd's revision), stamped on the
//   written object; an Update or Patch naming a stale resourceVersion, and a Delete
//   whose preconditions do not hold, answer 409 Conflict;
// - NotFound, AlreadyExists, Conflict and injected errors are the statuses
//   StatusFromApiResponse makes of the server's answers, so kube::IsApiNotFound and
//   friends, and the messages built on them, behave as against a cluster;
// - an object with finalizers is not removed by Delete but gets a deletionTimestamp,
//   and goes when an update leaves it none;
// - Update keeps the stored status and the status subresource changes only status;
// - List and Watch filter by namespace, label selectors (equality- and set-based,
//   parsed by libs/kube/label_selector.h) and metadata.name / metadata.namespace /
//   type (a Secret's) field selectors; List pages by `limit`;
// - Watch streams ADDED / MODIFIED / DELETED events of the writes made through the
//   fake (or Seed), from the resourceVersion asked for, so an Informer runs on it.
// What it does not: admission, defaulting, validation, field ownership (Apply is a
// create-or-merge-patch), strategic merge (a merge patch), pinned-resourceVersion or
// consistent paged lists (every page is of the current state), bookmarks, compaction
// (inject a 410 with FailNext to test a relist).
//
// Thread-safe. Call the API through RestClient (the default arguments live there):
//   auto fake = std::make_shared<kube::testing::FakeRestClient>();
//   fake->Seed(kube::resources::kSecrets, {{"metadata", {{"name", "a"}, {"namespace", "n"}}}});
//   CodeUnderTest code(fake);  // takes std::shared_ptr<RestClient> or RestClient&
//   EXPECT_THAT(fake->requests(), Contains(Request{Verb::kGet, "secrets", "n", "a"}));
#ifndef WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_REST_CLIENT_H_
#define WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_REST_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libs/kube/cluster_config.h"
#include "libs/kube/resource.h"
#include "libs/kube/rest_client.h"
#include "nlohmann/json.hpp"

namespace werf::kube::testing {

enum class Verb { kGet, kList, kCreate, kUpdate, kPatch, kApply, kDelete, kWatch, kPodLogs, kCall };
// "get", "list", ... as in RBAC and audit logs.
absl::string_view VerbName(Verb verb);

// One call made on the fake, for assertions.
struct Request {
  Verb verb = Verb::kGet;
  std::string resource{};  // Resource::DisplayName(): "secrets", "leases.coordination.k8s.io"
  std::string ns{};
  std::string name{};      // empty for List, Watch and Create by generateName
  std::string subresource{};
  std::string path{};      // Call only: "POST /apis/authentication.k8s.io/v1/tokenreviews"

  bool operator==(const Request&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Request& request);

// The status the real client makes of an API server's error answer (a metav1.Status
// body with `reason` and `message`): e.g. ApiError(403, "Forbidden") satisfies
// IsApiForbidden and is PermissionDenied.
absl::Status ApiError(int http_code, absl::string_view reason, absl::string_view message = "");

class FakeRestClient final : public RestClient {
 public:
  // Answers Call(); without one, Call is 404 NotFound.
  using CallHandler = std::function<absl::StatusOr<nlohmann::json>(
      absl::string_view method, absl::string_view path_and_query, const nlohmann::json* body)>;

  FakeRestClient() = default;

  // Stores `object` (its metadata.namespace and metadata.name say where) as a write
  // would, replacing what is there, and tells watchers; no Request is recorded and no
  // injected error applies. Returns the stored object. Aborts without a name.
  nlohmann::json Seed(const Resource& resource, nlohmann::json object);
  // The stored object, or nullopt.
  std::optional<nlohmann::json> Object(const Resource& resource, absl::string_view ns,
                                       absl::string_view name) const;
  // Stored objects of `resource` in `ns` (empty: all namespaces), by namespace and name.
  std::vector<nlohmann::json> Objects(const Resource& resource, absl::string_view ns = "") const;

  // The next `times` calls of `verb` answer `error` without touching the store (they
  // are recorded).
  void FailNext(Verb verb, absl::Status error, int times = 1);
  void OnCall(CallHandler handler);
  void SetPodLog(absl::string_view ns, absl::string_view pod, absl::string_view container,
                 std::string log);

  std::vector<Request> requests() const;
  // The recorded requests of one verb.
  std::vector<Request> requests(Verb verb) const;
  void ClearRequests();
  // Watches being served now: a test waits for an informer to be watching before it
  // writes, when it must see an event rather than a list.
  int open_watches() const;
  // The resourceVersion of the last write.
  int64_t resource_version() const;

  // RestClient.
  absl::StatusOr<nlohmann::json> Get(const Resource& resource, absl::string_view ns,
                                     absl::string_view name, absl::string_view subresource) override;
  absl::StatusOr<ListResult> List(const Resource& resource, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::StatusOr<nlohmann::json> Create(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object) override;
  absl::StatusOr<nlohmann::json> Update(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object,
                                        absl::string_view subresource) override;
  absl::StatusOr<nlohmann::json> Patch(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, PatchType type,
                                       const nlohmann::json& patch,
                                       absl::string_view subresource) override;
  absl::StatusOr<nlohmann::json> Apply(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, const nlohmann::json& object,
                                       absl::string_view field_manager, bool force,
                                       absl::string_view subresource) override;
  absl::Status Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& options) override;
  // Streams until `stop`, on_chunk returning false (both kCancelled) or
  // options.timeout_seconds (OK).
  absl::Status Watch(const Resource& resource, absl::string_view ns, const WatchOptions& options,
                     const std::function<bool(absl::string_view)>& on_chunk,
                     const std::atomic<bool>* stop) override;
  absl::StatusOr<std::string> PodLogs(absl::string_view ns, absl::string_view pod,
                                      absl::string_view container, int tail_lines,
                                      int64_t limit_bytes) override;
  absl::StatusOr<nlohmann::json> Call(absl::string_view method, absl::string_view path_and_query,
                                      const nlohmann::json* body,
                                      absl::string_view content_type) override;
  // No server: RestClient::Create makes no client of it (LeaderElector then keeps this one).
  const ClusterConfig& config() const override { return config_; }
  int64_t requests_sent() const override;

 private:
  // (resource display name, namespace, name); namespace is "" for cluster-scoped ones.
  using Key = std::tuple<std::string, std::string, std::string>;
  struct Event {
    int64_t resource_version = 0;
    std::string resource{};
    std::string ns{};
    std::string type{};  // ADDED, MODIFIED, DELETED
    nlohmann::json object{};
  };
  struct Injected {
    absl::Status error{};
    int times = 0;
  };

  // Records the request; the injected error for `verb`, if any.
  absl::Status Begin(Verb verb, Request request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stamps a new resourceVersion on `object`, stores it and logs the event.
  nlohmann::json Write(const Key& key, nlohmann::json object, absl::string_view type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores an update of the object at `key`: removes it when it is being deleted and
  // has no finalizers left.
  nlohmann::json Replace(const Key& key, nlohmann::json object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Remove(const Key& key, nlohmann::json last) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ClusterConfig config_{};
  mutable absl::Mutex mu_;
  std::map<Key, nlohmann::json> objects_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  int64_t resource_version_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t uids_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  std::map<Verb, Injected> injected_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> pod_logs_ ABSL_GUARDED_BY(mu_);
  CallHandler call_handler_ ABSL_GUARDED_BY(mu_);
  int open_watches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace werf::kube::testing

#endif  // WERF_OPERATOR_LIBS_KUBE_TESTING_FAKE_REST_CLIENT_H_
