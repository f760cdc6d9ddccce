#include "services/gateway/bundle_convert.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/duration.h"

namespace werf::gateway {
namespace {

using ::google::protobuf::util::TimeUtil;
using Json = nlohmann::json;

// A value for a message: JSON, at most 80 characters, never throwing on bad UTF-8.
std::string Shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 80) text = absl::StrCat(text.substr(0, 77), "...");
  return text;
}

// Reads fields of one JSON object by name, never throwing: a field of the wrong type
// is recorded as a problem (with its path) and read as absent.
class FieldReader {
 public:
  FieldReader(const Json* object, std::string path, std::vector<std::string>* problems)
      : object_(object != nullptr && object->is_object() ? object : nullptr),
        path_(std::move(path)),
        problems_(problems) {}

  bool present() const { return object_ != nullptr; }

  FieldReader Object(absl::string_view key) const {
    const Json* value = Find(key, Json::value_t::object, "an object");
    return FieldReader(value, Path(key), problems_);
  }

  const Json* Array(absl::string_view key) const {
    return Find(key, Json::value_t::array, "an array");
  }

  std::string String(absl::string_view key) const {
    const Json* value = Find(key, Json::value_t::string, "a string");
    return value != nullptr ? value->get<std::string>() : std::string();
  }

  bool Bool(absl::string_view key) const {
    const Json* value = Find(key, Json::value_t::boolean, "a boolean");
    return value != nullptr && value->get<bool>();
  }

  int64_t Int(absl::string_view key) const {
    const Json* value = Lookup(key);
    if (value == nullptr) return 0;
    if (value->is_number_integer()) return value->get<int64_t>();
    Problem(key, absl::StrCat(Shown(*value), " is not an integer"));
    return 0;
  }

  uint32_t Count(absl::string_view key) const {
    const int64_t value = Int(key);
    if (value >= 0 && value <= std::numeric_limits<uint32_t>::max()) return static_cast<uint32_t>(value);
    Problem(key, absl::StrCat(value, " is not a count"));
    return 0;
  }

  std::optional<google::protobuf::Timestamp> Timestamp(absl::string_view key) const {
    const std::string text = String(key);
    if (text.empty()) return std::nullopt;
    google::protobuf::Timestamp timestamp;
    if (!TimeUtil::FromString(text, &timestamp)) {
      Problem(key, absl::StrCat("\"", text, "\" is not an RFC 3339 time"));
      return std::nullopt;
    }
    return timestamp;
  }

  // A Go duration ("15m", "1h30m"), as the CRD's duration fields hold.
  std::optional<google::protobuf::Duration> Duration(absl::string_view key) const {
    const std::string text = String(key);
    if (text.empty()) return std::nullopt;
    absl::StatusOr<absl::Duration> parsed = common::ParseGoDuration(text);
    if (!parsed.ok()) {
      Problem(key, parsed.status().message());
      return std::nullopt;
    }
    return TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(*parsed));
  }

  // Calls `visit` with a reader for each element of the array `key`; an element that
  // is not an object is a problem and skipped.
  void ForEachObject(absl::string_view key,
                     absl::FunctionRef<void(const FieldReader&)> visit) const {
    const Json* array = Array(key);
    if (array == nullptr) return;
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string element = absl::StrCat(key, "[", i, "]");
      if (!(*array)[i].is_object()) {
        Problem(element, absl::StrCat(Shown((*array)[i]), " is not an object"));
        continue;
      }
      visit(FieldReader(&(*array)[i], Path(element), problems_));
    }
  }

  // Calls `visit` for each member of the object `key` whose value is a string; other
  // members are problems.
  void ForEachString(absl::string_view key,
                     absl::FunctionRef<void(const std::string&, const std::string&)> visit) const {
    const Json* members = Find(key, Json::value_t::object, "an object");
    if (members == nullptr) return;
    for (const auto& [name, value] : members->items()) {
      if (value.is_string()) {
        visit(name, value.get<std::string>());
      } else {
        problems_->push_back(absl::StrCat(Path(key), ".", name, ": ", Shown(value), " is not a string"));
      }
    }
  }

  void Problem(absl::string_view key, absl::string_view what) const {
    problems_->push_back(absl::StrCat(Path(key), ": ", what));
  }

  std::string Path(absl::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
  }

 private:
  const Json* Lookup(absl::string_view key) const {
    if (object_ == nullptr) return nullptr;
    const auto it = object_->find(std::string(key));
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }

  const Json* Find(absl::string_view key, Json::value_t type, absl::string_view expected) const {
    const Json* value = Lookup(key);
    if (value == nullptr) return nullptr;
    if (value->type() == type) return value;
    Problem(key, absl::StrCat(Shown(*value), " is not ", expected));
    return nullptr;
  }

  const Json* object_;
  std::string path_;
  std::vector<std::string>* problems_;
};

void ConvertSpec(const FieldReader& spec, pb::Bundle& bundle) {
  pb::BundleSpecSummary& out = *bundle.mutable_spec();
  const FieldReader registry = spec.Object("registry");
  out.set_repository(registry.String("url"));
  out.set_version_constraint(registry.String("versionConstraint"));
  out.set_tag_filter(registry.String("tagFilter"));
  if (auto interval = registry.Duration("pollInterval")) *out.mutable_poll_interval() = *interval;

  const FieldReader converge = spec.Object("converge");
  out.set_target_namespace(converge.String("targetNamespace"));
  if (out.target_namespace().empty()) out.set_target_namespace(bundle.namespace_());
  out.set_service_account_name(converge.String("serviceAccountName"));
  out.set_release(converge.String("release"));
  if (out.release().empty()) out.set_release(bundle.name());
  out.set_suspend(spec.Bool("suspend"));
}

void ConvertCondition(const FieldReader& in, pb::Condition& out) {
  out.set_type(in.String("type"));
  out.set_status(in.String("status"));
  out.set_reason(in.String("reason"));
  out.set_message(in.String("message"));
  if (auto time = in.Timestamp("lastTransitionTime")) *out.mutable_last_transition_time() = *time;
  out.set_observed_generation(in.Int("observedGeneration"));
}

void ConvertHistoryEntry(const FieldReader& in, pb::HistoryEntry& out) {
  out.set_tag(in.String("tag"));
  out.set_digest(in.String("digest"));
  out.set_job_name(in.String("jobName"));
  if (auto time = in.Timestamp("startedAt")) *out.mutable_started_at() = *time;
  if (auto time = in.Timestamp("finishedAt")) *out.mutable_finished_at() = *time;
  const std::string result = in.String("result");
  out.set_result(ConvergeResultFromStatus(result));
  if (!result.empty() && out.result() == pb::CONVERGE_RESULT_UNSPECIFIED) {
    in.Problem("result", absl::StrCat("\"", result, "\" is not Succeeded, Failed or Vanished"));
  }
  out.set_message(in.String("message"));
}

void ConvertStatus(const FieldReader& status, pb::Bundle& bundle) {
  const std::string phase = status.String("phase");
  bundle.set_phase(PhaseFromStatus(phase));
  if (!phase.empty() && bundle.phase() == pb::BUNDLE_PHASE_UNSPECIFIED) {
    status.Problem("phase", absl::StrCat("\"", phase, "\" is not Syncing, Synced or Failed"));
  }
  bundle.set_observed_generation(status.Int("observedGeneration"));
  bundle.set_latest_tag(status.String("latestTag"));
  bundle.set_last_applied_tag(status.String("lastAppliedTag"));
  bundle.set_last_applied_digest(status.String("lastAppliedDigest"));
  if (auto time = status.Timestamp("lastSyncTime")) *bundle.mutable_last_sync_time() = *time;
  bundle.set_last_error_message(status.String("lastErrorMessage"));
  bundle.set_consecutive_failures(status.Count("consecutiveFailures"));

  if (const FieldReader job = status.Object("activeJob"); job.present()) {
    pb::ActiveJob& out = *bundle.mutable_active_job();
    out.set_name(job.String("name"));
    out.set_namespace_(job.String("namespace"));
    out.set_tag(job.String("tag"));
    if (auto time = job.Timestamp("startedAt")) *out.mutable_started_at() = *time;
  }
}

}  // namespace

pb::BundlePhase PhaseFromStatus(absl::string_view phase) {
  if (phase == "Syncing") return pb::BUNDLE_PHASE_SYNCING;
  if (phase == "Synced") return pb::BUNDLE_PHASE_SYNCED;
  if (phase == "Failed") return pb::BUNDLE_PHASE_FAILED;
  return pb::BUNDLE_PHASE_UNSPECIFIED;
}

pb::ConvergeResult ConvergeResultFromStatus(absl::string_view result) {
  if (result == "Succeeded") return pb::CONVERGE_RESULT_SUCCEEDED;
  if (result == "Failed") return pb::CONVERGE_RESULT_FAILED;
  if (result == "Vanished") return pb::CONVERGE_RESULT_VANISHED;
  return pb::CONVERGE_RESULT_UNSPECIFIED;
}

absl::StatusOr<ConvertedBundle> BundleFromObject(const nlohmann::json& object) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError("a WerfBundle must be a JSON object");
  }
  ConvertedBundle converted;
  pb::Bundle& bundle = converted.bundle;
  std::vector<std::string>& problems = converted.problems;

  const FieldReader root(&object, "", &problems);
  const FieldReader metadata = root.Object("metadata");
  bundle.set_namespace_(metadata.String("namespace"));
  bundle.set_name(metadata.String("name"));
  if (bundle.namespace_().empty() || bundle.name().empty()) {
    return absl::InvalidArgumentError(
        "a WerfBundle needs metadata.namespace and metadata.name (WerfBundles are namespaced)");
  }
  bundle.set_uid(metadata.String("uid"));
  bundle.set_generation(metadata.Int("generation"));
  bundle.set_resource_version(metadata.String("resourceVersion"));
  if (auto time = metadata.Timestamp("creationTimestamp")) *bundle.mutable_creation_time() = *time;
  metadata.ForEachString("labels", [&bundle](const std::string& key, const std::string& value) {
    (*bundle.mutable_labels())[key] = value;
  });

  ConvertSpec(root.Object("spec"), bundle);
  const FieldReader status = root.Object("status");
  ConvertStatus(status, bundle);
  status.ForEachObject("conditions", [&bundle](const FieldReader& condition) {
    ConvertCondition(condition, *bundle.add_conditions());
  });
  status.ForEachObject("history", [&bundle](const FieldReader& entry) {
    ConvertHistoryEntry(entry, *bundle.add_history());
  });
  return converted;
}

}  // namespace werf::gateway
