// Reads fields of a JSON object by name without ever throwing: a field of the wrong
// type is recorded as a problem (with its path) and read as absent. The status of a
// custom resource is written by one program and read by others; a reader that
// crashed or refused the whole object on one odd field would hide everything else.
#ifndef WERF_OPERATOR_LIBS_API_JSON_FIELDS_H_
#define WERF_OPERATOR_LIBS_API_JSON_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace werf::api {

class FieldReader {
 public:
  // `problems` collects "path: what is wrong" lines and must outlive the reader.
  FieldReader(const nlohmann::json* object, std::string path, std::vector<std::string>* problems);

  bool present() const { return object_ != nullptr; }

  FieldReader Object(absl::string_view key) const;
  const nlohmann::json* Array(absl::string_view key) const;
  std::string String(absl::string_view key) const;
  bool Bool(absl::string_view key) const;
  int64_t Int(absl::string_view key) const;
  // A non-negative integer that fits in 32 bits.
  uint32_t Count(absl::string_view key) const;
  // An RFC 3339 time.
  std::optional<absl::Time> Time(absl::string_view key) const;
  // A Go duration ("15m", "1h30m"), as the CRD's duration fields hold.
  std::optional<absl::Duration> Duration(absl::string_view key) const;

  // The strings of the array `key`; an element that is not a string is a problem and skipped.
  std::vector<std::string> Strings(absl::string_view key) const;

  // Calls `visit` with a reader for each element of the array `key`; an element that
  // is not an object is a problem and skipped.
  void ForEachObject(absl::string_view key, absl::FunctionRef<void(const FieldReader&)> visit) const;
  // Calls `visit` for each member of the object `key` whose value is a string; other
  // members are problems.
  void ForEachString(absl::string_view key,
                     absl::FunctionRef<void(const std::string&, const std::string&)> visit) const;

  void Problem(absl::string_view key, absl::string_view what) const;
  std::string Path(absl::string_view key) const;

 private:
  const nlohmann::json* Lookup(absl::string_view key) const;
  const nlohmann::json* Find(absl::string_view key, nlohmann::json::value_t type,
                             absl::string_view expected) const;

  const nlohmann::json* object_;
  std::string path_;
  std::vector<std::string>* problems_;
};

// RFC 3339 in UTC with second precision, as metav1.Time serialises.
std::string Rfc3339(absl::Time time);

}  // namespace werf::api

#endif  // WERF_OPERATOR_LIBS_API_JSON_FIELDS_H_
