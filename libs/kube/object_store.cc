#include "libs/kube/object_store.h"

#include "absl/strings/str_cat.h"

namespace werf::kube {
namespace {

const nlohmann::json& Metadata(const nlohmann::json& object) {
  static const auto* empty = new nlohmann::json(nlohmann::json::object());
  const auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : *empty;
}

std::string LabelIndexKey(absl::string_view label, absl::string_view value) {
  return absl::StrCat(label, "=", value);
}

}  // namespace

std::string ObjectKey(absl::string_view ns, absl::string_view name) {
  return ns.empty() ? std::string(name) : absl::StrCat(ns, "/", name);
}

std::string ObjectKey(const nlohmann::json& object) {
  const nlohmann::json& metadata = Metadata(object);
  return ObjectKey(metadata.value("namespace", ""), metadata.value("name", ""));
}

void ObjectStore::IndexLocked(const std::string& key, const nlohmann::json& object) {
  const nlohmann::json& metadata = Metadata(object);
  by_namespace_[metadata.value("namespace", "")].insert(key);
  if (const auto labels = metadata.find("labels"); labels != metadata.end() && labels->is_object()) {
    for (const auto& [label, value] : labels->items()) {
      if (value.is_string()) by_label_[LabelIndexKey(label, value.get<std::string>())].insert(key);
    }
  }
}

void ObjectStore::UnindexLocked(const std::string& key, const nlohmann::json& object) {
  const nlohmann::json& metadata = Metadata(object);
  const std::string ns = metadata.value("namespace", "");
  if (auto it = by_namespace_.find(ns); it != by_namespace_.end()) {
    it->second.erase(key);
    if (it->second.empty()) by_namespace_.erase(it);
  }
  if (const auto labels = metadata.find("labels"); labels != metadata.end() && labels->is_object()) {
    for (const auto& [label, value] : labels->items()) {
      if (!value.is_string()) continue;
      if (auto it = by_label_.find(LabelIndexKey(label, value.get<std::string>()));
          it != by_label_.end()) {
        it->second.erase(key);
        if (it->second.empty()) by_label_.erase(it);
      }
    }
  }
}

ObjectPtr ObjectStore::Upsert(ObjectPtr object) {
  const std::string key = ObjectKey(*object);
  absl::MutexLock lock(&mu_);
  ObjectPtr& slot = objects_[key];
  ObjectPtr previous = std::move(slot);
  if (previous) UnindexLocked(key, *previous);
  IndexLocked(key, *object);
  slot = std::move(object);
  return previous;
}

ObjectPtr ObjectStore::Remove(const std::string& key) {
  absl::MutexLock lock(&mu_);
  const auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr removed = std::move(it->second);
  objects_.erase(it);
  UnindexLocked(key, *removed);
  return removed;
}

std::vector<ObjectPtr> ObjectStore::Replace(std::vector<ObjectPtr> objects) {
  std::map<std::string, ObjectPtr> fresh;
  for (ObjectPtr& object : objects) {
    std::string key = ObjectKey(*object);
    fresh[std::move(key)] = std::move(object);
  }
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> removed;
  for (const auto& [key, object] : objects_) {
    if (!fresh.contains(key)) removed.push_back(object);
  }
  objects_ = std::move(fresh);
  by_namespace_.clear();
  by_label_.clear();
  for (const auto& [key, object] : objects_) IndexLocked(key, *object);
  return removed;
}

ObjectPtr ObjectStore::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  const auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> ObjectStore::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

std::vector<ObjectPtr> ObjectStore::ListNamespace(absl::string_view ns) const {
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  if (const auto it = by_namespace_.find(ns); it != by_namespace_.end()) {
    for (const std::string& key : it->second) out.push_back(objects_.at(key));
  }
  return out;
}

std::vector<ObjectPtr> ObjectStore::ListByLabel(absl::string_view label,
                                                absl::string_view value) const {
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  if (const auto it = by_label_.find(LabelIndexKey(label, value)); it != by_label_.end()) {
    for (const std::string& key : it->second) out.push_back(objects_.at(key));
  }
  return out;
}

size_t ObjectStore::Size() const {
  absl::MutexLock lock(&mu_);
  return objects_.size();
}

}  // namespace werf::kube
