#include "libs/kube/testing/fake_rest_client.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/kube/api_error.h"
#include "libs/kube/testing/fake_selection.h"

namespace werf::kube::testing {
namespace {

using nlohmann::json;

// How long a watch sleeps between looks at `stop` when nothing is written.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(10);

std::string MetadataString(const json& object, absl::string_view field) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  const auto value = metadata->find(std::string(field));
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : "";
}

std::string NamespaceFor(const Resource& resource, absl::string_view ns) {
  return resource.namespaced ? std::string(ns) : std::string();
}

// The API server's answers, as the real client makes statuses of them.
absl::Status NotFound(const Resource& resource, absl::string_view what, absl::string_view name) {
  return StatusFromApiResponse(
      404,
      json{{"kind", "Status"},
           {"reason", "NotFound"},
           {"message", absl::StrCat(resource.DisplayName(), " \"", name, "\" not found")}}
          .dump(),
      what);
}

absl::Status AlreadyExists(const Resource& resource, absl::string_view what, absl::string_view name) {
  return StatusFromApiResponse(
      409,
      json{{"kind", "Status"},
           {"reason", "AlreadyExists"},
           {"message", absl::StrCat(resource.DisplayName(), " \"", name, "\" already exists")}}
          .dump(),
      what);
}

absl::Status Conflict(const Resource& resource, absl::string_view what, absl::string_view name,
                      absl::string_view why) {
  return StatusFromApiResponse(409,
                               json{{"kind", "Status"},
                                    {"reason", "Conflict"},
                                    {"message", absl::StrCat("Operation cannot be fulfilled on ",
                                                             resource.DisplayName(), " \"", name,
                                                             "\": ", why)}}
                                   .dump(),
                               what);
}

absl::Status Invalid(absl::string_view what, absl::string_view message) {
  return StatusFromApiResponse(
      422, json{{"kind", "Status"}, {"reason", "Invalid"}, {"message", std::string(message)}}.dump(), what);
}

// PartialObjectMetadata, as the server answers a metadata-only request.
json MetadataOnly(const json& object) {
  return {{"apiVersion", "meta.k8s.io/v1"},
          {"kind", "PartialObjectMetadata"},
          {"metadata", object.value("metadata", json::object())}};
}

std::string Timestamp() { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()); }

bool BeingDeletedWithoutFinalizers(const json& object) {
  if (MetadataString(object, "deletionTimestamp").empty()) return false;
  const json& metadata = object.at("metadata");
  const auto finalizers = metadata.find("finalizers");
  return finalizers == metadata.end() || !finalizers->is_array() || finalizers->empty();
}

}  // namespace

absl::string_view VerbName(Verb verb) {
  switch (verb) {
    case Verb::kGet: return "get";
    case Verb::kList: return "list";
    case Verb::kCreate: return "create";
    case Verb::kUpdate: return "update";
    case Verb::kPatch: return "patch";
    case Verb::kApply: return "apply";
    case Verb::kDelete: return "delete";
    case Verb::kWatch: return "watch";
    case Verb::kPodLogs: return "podlogs";
    case Verb::kCall: return "call";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, const Request& request) {
  out << VerbName(request.verb) << " " << request.resource << " " << request.ns << "/" << request.name;
  if (!request.subresource.empty()) out << "/" << request.subresource;
  if (!request.path.empty()) out << " " << request.path;
  return out;
}

absl::Status ApiError(int http_code, absl::string_view reason, absl::string_view message) {
  return StatusFromApiResponse(http_code,
                               json{{"kind", "Status"},
                                    {"reason", std::string(reason)},
                                    {"message", message.empty() ? std::string(reason) : std::string(message)}}
                                   .dump(),
                               "fake API server");
}

// --- test-side controls ---------------------------------------------------------------

json FakeRestClient::Seed(const Resource& resource, json object) {
  const std::string name = MetadataString(object, "name");
  if (name.empty()) {
    std::fprintf(stderr, "FakeRestClient::Seed: the %s object has no metadata.name\n",
                 resource.DisplayName().c_str());
    std::abort();
  }
  absl::MutexLock lock(&mu_);
  const Key key{resource.DisplayName(), NamespaceFor(resource, MetadataString(object, "namespace")), name};
  const auto existing = objects_.find(key);
  json& metadata = object["metadata"];
  if (existing == objects_.end()) {
    if (!metadata.contains("uid")) metadata["uid"] = absl::StrCat("fake-uid-", ++uids_);
    if (!metadata.contains("creationTimestamp")) metadata["creationTimestamp"] = Timestamp();
  }
  return Write(key, std::move(object), existing == objects_.end() ? "ADDED" : "MODIFIED");
}

std::optional<json> FakeRestClient::Object(const Resource& resource, absl::string_view ns,
                                           absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  const auto it = objects_.find(Key{resource.DisplayName(), NamespaceFor(resource, ns), std::string(name)});
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> FakeRestClient::Objects(const Resource& resource, absl::string_view ns) const {
  absl::MutexLock lock(&mu_);
  std::vector<json> out;
  for (const auto& [key, object] : objects_) {
    if (std::get<0>(key) == resource.DisplayName() && (ns.empty() || std::get<1>(key) == ns)) {
      out.push_back(object);
    }
  }
  return out;
}

void FakeRestClient::FailNext(Verb verb, absl::Status error, int times) {
  absl::MutexLock lock(&mu_);
  injected_[verb] = Injected{std::move(error), times};
}

void FakeRestClient::OnCall(CallHandler handler) {
  absl::MutexLock lock(&mu_);
  call_handler_ = std::move(handler);
}

void FakeRestClient::SetPodLog(absl::string_view ns, absl::string_view pod, absl::string_view container,
                               std::string log) {
  absl::MutexLock lock(&mu_);
  pod_logs_[absl::StrCat(ns, "/", pod, "/", container)] = std::move(log);
}

std::vector<Request> FakeRestClient::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

std::vector<Request> FakeRestClient::requests(Verb verb) const {
  absl::MutexLock lock(&mu_);
  std::vector<Request> out;
  for (const Request& request : requests_) {
    if (request.verb == verb) out.push_back(request);
  }
  return out;
}

void FakeRestClient::ClearRequests() {
  absl::MutexLock lock(&mu_);
  requests_.clear();
}

int FakeRestClient::open_watches() const {
  absl::MutexLock lock(&mu_);
  return open_watches_;
}

int64_t FakeRestClient::resource_version() const {
  absl::MutexLock lock(&mu_);
  return resource_version_;
}

int64_t FakeRestClient::requests_sent() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(requests_.size());
}

// --- the store ----------------------------------------------------------------------

absl::Status FakeRestClient::Begin(Verb verb, Request request) {
  request.verb = verb;
  requests_.push_back(std::move(request));
  const auto injected = injected_.find(verb);
  if (injected == injected_.end()) return absl::OkStatus();
  absl::Status error = injected->second.error;
  if (--injected->second.times <= 0) injected_.erase(injected);
  return error;
}

json FakeRestClient::Write(const Key& key, json object, absl::string_view type) {
  const int64_t version = ++resource_version_;
  object["metadata"]["resourceVersion"] = absl::StrCat(version);
  objects_[key] = object;
  events_.push_back(Event{version, std::get<0>(key), std::get<1>(key), std::string(type), object});
  return object;
}

json FakeRestClient::Replace(const Key& key, json object) {
  if (BeingDeletedWithoutFinalizers(object)) {
    Remove(key, object);
    return object;
  }
  return Write(key, std::move(object), "MODIFIED");
}

void FakeRestClient::Remove(const Key& key, json last) {
  const int64_t version = ++resource_version_;
  last["metadata"]["resourceVersion"] = absl::StrCat(version);
  objects_.erase(key);
  events_.push_back(Event{version, std::get<0>(key), std::get<1>(key), "DELETED", std::move(last)});
}

// --- RestClient -----------------------------------------------------------------------

absl::StatusOr<json> FakeRestClient::Get(const Resource& resource, absl::string_view ns,
                                         absl::string_view name, absl::string_view subresource) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Begin(Verb::kGet, {.resource = resource.DisplayName(),
                                                 .ns = std::string(ns),
                                                 .name = std::string(name),
                                                 .subresource = std::string(subresource)});
      !injected.ok()) {
    return injected;
  }
  const std::string what = absl::StrCat("GET ", resource.Path(ns, name, subresource));
  if (!subresource.empty() && subresource != "status") {
    return absl::UnimplementedError(absl::StrCat(what, ": the fake API server serves no ", subresource));
  }
  const auto it = objects_.find(Key{resource.DisplayName(), NamespaceFor(resource, ns), std::string(name)});
  if (it == objects_.end()) return NotFound(resource, what, name);
  return it->second;
}

absl::StatusOr<ListResult> FakeRestClient::List(const Resource& resource, absl::string_view ns,
                                                const ListOptions& options) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Begin(Verb::kList, {.resource = resource.DisplayName(), .ns = std::string(ns)});
      !injected.ok()) {
    return injected;
  }
  absl::StatusOr<Selection> selection = Selection::Create(options.label_selector, options.field_selector);
  if (!selection.ok()) return selection.status();
  const std::string scope = NamespaceFor(resource, ns);
  // The continue token names the key the next page starts after.
  const Key after{resource.DisplayName(), "", ""};
  auto it = objects_.lower_bound(after);
  if (!options.continue_token.empty()) {
    const std::pair<std::string, std::string> last = absl::StrSplit(options.continue_token, '/');
    it = objects_.upper_bound(Key{resource.DisplayName(), last.first, last.second});
  }
  ListResult result;
  result.resource_version = absl::StrCat(resource_version_);
  for (; it != objects_.end() && std::get<0>(it->first) == resource.DisplayName(); ++it) {
    if (!scope.empty() && std::get<1>(it->first) != scope) continue;
    if (!selection->Selects(it->second)) continue;
    if (options.limit > 0 && static_cast<int64_t>(result.items.size()) == options.limit) {
      const Key& last = std::prev(it)->first;
      result.continue_token = absl::StrCat(std::get<1>(last), "/", std::get<2>(last));
      break;
    }
    result.items.push_back(options.metadata_only ? MetadataOnly(it->second) : it->second);
  }
  return result;
}

absl::StatusOr<json> FakeRestClient::Create(const Resource& resource, absl::string_view ns,
                                            const json& object) {
  absl::MutexLock lock(&mu_);
  std::string name = MetadataString(object, "name");
  if (absl::Status injected = Begin(Verb::kCreate, {.resource = resource.DisplayName(),
                                                    .ns = std::string(ns),
                                                    .name = name});
      !injected.ok()) {
    return injected;
  }
  const std::string what = absl::StrCat("POST ", resource.Path(ns));
  if (name.empty()) {
    const std::string generate = MetadataString(object, "generateName");
    if (generate.empty()) return Invalid(what, "metadata.name: Required value: name or generateName is required");
    name = absl::StrCat(generate, "fake", uids_ + 1);
  }
  const std::string object_ns = MetadataString(object, "namespace");
  if (resource.namespaced && !object_ns.empty() && object_ns != ns) {
    return StatusFromApiResponse(
        400,
        json{{"kind", "Status"},
             {"reason", "BadRequest"},
             {"message", "the namespace of the provided object does not match the namespace sent on the request"}}
            .dump(),
        what);
  }
  const Key key{resource.DisplayName(), NamespaceFor(resource, ns), name};
  if (objects_.contains(key)) return AlreadyExists(resource, what, name);
  json stored = object;
  json& metadata = stored["metadata"];
  metadata["name"] = name;
  if (resource.namespaced) metadata["namespace"] = std::string(ns);
  metadata["uid"] = absl::StrCat("fake-uid-", ++uids_);
  metadata["creationTimestamp"] = Timestamp();
  metadata["generation"] = 1;
  metadata.erase("deletionTimestamp");
  return Write(key, std::move(stored), "ADDED");
}

absl::StatusOr<json> FakeRestClient::Update(const Resource& resource, absl::string_view ns,
                                            const json& object, absl::string_view subresource) {
  absl::MutexLock lock(&mu_);
  const std::string name = MetadataString(object, "name");
  if (absl::Status injected = Begin(Verb::kUpdate, {.resource = resource.DisplayName(),
                                                    .ns = std::string(ns),
                                                    .name = name,
                                                    .subresource = std::string(subresource)});
      !injected.ok()) {
    return injected;
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("update of ", resource.DisplayName(), ": the object has no metadata.name"));
  }
  const std::string what = absl::StrCat("PUT ", resource.Path(ns, name, subresource));
  const Key key{resource.DisplayName(), NamespaceFor(resource, ns), name};
  const auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(resource, what, name);
  const json& stored = it->second;
  const std::string version = MetadataString(object, "resourceVersion");
  if (!version.empty() && version != MetadataString(stored, "resourceVersion")) {
    return Conflict(resource, what, name,
                    "the object has been modified; please apply your changes to the latest version and try again");
  }
  json updated;
  if (subresource == "status") {
    updated = stored;
    if (object.contains("status")) {
      updated["status"] = object["status"];
    } else {
      updated.erase("status");
    }
  } else {
    updated = object;
    if (stored.contains("status")) {
      updated["status"] = stored["status"];
    } else {
      updated.erase("status");
    }
    json& metadata = updated["metadata"];
    for (const char* kept : {"uid", "creationTimestamp", "deletionTimestamp", "generation", "namespace"}) {
      if (stored["metadata"].contains(kept)) {
        metadata[kept] = stored["metadata"][kept];
      } else {
        metadata.erase(kept);
      }
    }
    if (object.value("spec", json()) != stored.value("spec", json())) {
      metadata["generation"] = stored["metadata"].value("generation", 1) + 1;
    }
  }
  return Replace(key, std::move(updated));
}

absl::StatusOr<json> FakeRestClient::Patch(const Resource& resource, absl::string_view ns,
                                           absl::string_view name, PatchType type, const json& patch,
                                           absl::string_view subresource) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Begin(Verb::kPatch, {.resource = resource.DisplayName(),
                                                   .ns = std::string(ns),
                                                   .name = std::string(name),
                                                   .subresource = std::string(subresource)});
      !injected.ok()) {
    return injected;
  }
  const std::string what = absl::StrCat("PATCH ", resource.Path(ns, name, subresource));
  const Key key{resource.DisplayName(), NamespaceFor(resource, ns), std::string(name)};
  const auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(resource, what, name);
  json patched = it->second;
  if (type == PatchType::kJson) {
    try {
      patched = patched.patch(patch);
    } catch (const json::exception& error) {
      return Invalid(what, error.what());
    }
  } else {
    patched.merge_patch(patch);
  }
  const std::string version = MetadataString(patched, "resourceVersion");
  if (version != MetadataString(it->second, "resourceVersion")) {
    return Conflict(resource, what, name,
                    "the object has been modified; please apply your changes to the latest version and try again");
  }
  return Replace(key, std::move(patched));
}

absl::StatusOr<json> FakeRestClient::Apply(const Resource& resource, absl::string_view ns, absl::string_view name,
                                           const json& object, absl::string_view /*field_manager*/,
                                           bool /*force*/, absl::string_view subresource) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Begin(Verb::kApply, {.resource = resource.DisplayName(),
                                                   .ns = std::string(ns),
                                                   .name = std::string(name),
                                                   .subresource = std::string(subresource)});
      !injected.ok()) {
    return injected;
  }
  const Key key{resource.DisplayName(), NamespaceFor(resource, ns), std::string(name)};
  const auto it = objects_.find(key);
  if (it == objects_.end()) {
    json created = object;
    json& metadata = created["metadata"];
    metadata["name"] = std::string(name);
    if (resource.namespaced) metadata["namespace"] = std::string(ns);
    metadata["uid"] = absl::StrCat("fake-uid-", ++uids_);
    metadata["creationTimestamp"] = Timestamp();
    metadata["generation"] = 1;
    return Write(key, std::move(created), "ADDED");
  }
  json applied = it->second;
  json patch = object;
  patch["metadata"].erase("resourceVersion");
  applied.merge_patch(patch);
  return Replace(key, std::move(applied));
}

absl::Status FakeRestClient::Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                                    const DeleteOptions& options) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Begin(Verb::kDelete, {.resource = resource.DisplayName(),
                                                    .ns = std::string(ns),
                                                    .name = std::string(name)});
      !injected.ok()) {
    return injected;
  }
  const std::string what = absl::StrCat("DELETE ", resource.Path(ns, name));
  const Key key{resource.DisplayName(), NamespaceFor(resource, ns), std::string(name)};
  const auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(resource, what, name);
  json& stored = it->second;
  if (!options.precondition_uid.empty() && options.precondition_uid != MetadataString(stored, "uid")) {
    return Conflict(resource, what, name, "Precondition failed: UID in precondition does not match the object");
  }
  if (!options.precondition_resource_version.empty() &&
      options.precondition_resource_version != MetadataString(stored, "resourceVersion")) {
    return Conflict(resource, what, name,
                    "Precondition failed: ResourceVersion in precondition does not match the object");
  }
  json object = stored;
  if (MetadataString(object, "deletionTimestamp").empty()) object["metadata"]["deletionTimestamp"] = Timestamp();
  if (BeingDeletedWithoutFinalizers(object)) {
    Remove(key, std::move(object));
  } else if (MetadataString(stored, "deletionTimestamp").empty()) {
    Write(key, std::move(object), "MODIFIED");
  }
  return absl::OkStatus();
}

absl::Status FakeRestClient::Watch(const Resource& resource, absl::string_view ns, const WatchOptions& options,
                                   const std::function<bool(absl::string_view)>& on_chunk,
                                   const std::atomic<bool>* stop) {
  const std::string scope = NamespaceFor(resource, ns);
  const std::string name = resource.DisplayName();
  const absl::Time deadline = absl::Now() + absl::Seconds(options.timeout_seconds);
  absl::StatusOr<Selection> selection = Selection::Create(options.label_selector, options.field_selector);
  std::string pending;  // newline-delimited events not yet handed over
  int64_t cursor = 0;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status injected = Begin(Verb::kWatch, {.resource = name, .ns = std::string(ns)}); !injected.ok()) {
      return injected;
    }
    if (!selection.ok()) return selection.status();
    if (options.resource_version.empty() || options.resource_version == "0") {
      // As the server does: the current state as ADDED events, then what follows.
      for (const auto& [key, object] : objects_) {
        if (std::get<0>(key) != name || (!scope.empty() && std::get<1>(key) != scope)) continue;
        if (!selection->Selects(object)) continue;
        absl::StrAppend(&pending,
                        json{{"type", "ADDED"}, {"object", options.metadata_only ? MetadataOnly(object) : object}}
                            .dump(),
                        "\n");
      }
      cursor = resource_version_;
    } else if (!absl::SimpleAtoi(options.resource_version, &cursor)) {
      return Invalid(absl::StrCat("GET ", resource.Path(ns)),
                     absl::StrCat("invalid resourceVersion \"", options.resource_version, "\""));
    }
    ++open_watches_;
  }
  absl::Status result = absl::OkStatus();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const auto first = std::upper_bound(
          events_.begin(), events_.end(), cursor,
          [](int64_t version, const Event& event) { return version < event.resource_version; });
      for (auto event = first; event != events_.end(); ++event) {
        if (event->resource != name || (!scope.empty() && event->ns != scope)) continue;
        if (!selection->Selects(event->object)) continue;
        absl::StrAppend(&pending,
                        json{{"type", event->type},
                             {"object", options.metadata_only ? MetadataOnly(event->object) : event->object}}
                            .dump(),
                        "\n");
      }
      cursor = resource_version_;
    }
    // Handed over outside the lock: a handler may call the fake.
    if (!pending.empty()) {
      if (!on_chunk(pending)) {
        result = absl::CancelledError("the watcher stopped reading");
        break;
      }
      pending.clear();
    }
    if (stop != nullptr && stop->load()) {
      result = absl::CancelledError("watch stopped");
      break;
    }
    if (absl::Now() >= deadline) break;
    absl::MutexLock lock(&mu_);
    struct Newer {
      const int64_t* current;
      int64_t seen;
    } newer{&resource_version_, cursor};
    mu_.AwaitWithTimeout(absl::Condition(+[](Newer* n) { return *n->current > n->seen; }, &newer),
                         std::min(kWatchPoll, deadline - absl::Now()));
  }
  absl::MutexLock lock(&mu_);
  --open_watches_;
  return result;
}

absl::StatusOr<std::string> FakeRestClient::PodLogs(absl::string_view ns, absl::string_view pod,
                                                    absl::string_view container, int /*tail_lines*/,
                                                    int64_t limit_bytes) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Begin(Verb::kPodLogs, {.resource = resources::kPods.DisplayName(),
                                                     .ns = std::string(ns),
                                                     .name = std::string(pod),
                                                     .subresource = "log"});
      !injected.ok()) {
    return injected;
  }
  const auto it = pod_logs_.find(absl::StrCat(ns, "/", pod, "/", container));
  if (it == pod_logs_.end()) {
    return NotFound(resources::kPods, absl::StrCat("GET ", resources::kPods.Path(ns, pod, "log")), pod);
  }
  if (limit_bytes > 0 && static_cast<int64_t>(it->second.size()) > limit_bytes) {
    return it->second.substr(0, static_cast<size_t>(limit_bytes));
  }
  return it->second;
}

absl::StatusOr<json> FakeRestClient::Call(absl::string_view method, absl::string_view path_and_query,
                                          const json* body, absl::string_view /*content_type*/) {
  CallHandler handler;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status injected = Begin(Verb::kCall, {.path = absl::StrCat(method, " ", path_and_query)});
        !injected.ok()) {
      return injected;
    }
    handler = call_handler_;
  }
  if (!handler) {
    return StatusFromApiResponse(404, json{{"kind", "Status"}, {"reason", "NotFound"}}.dump(),
                                 absl::StrCat(method, " ", path_and_query));
  }
  return handler(method, path_and_query, body);
}

}  // namespace werf::kube::testing
