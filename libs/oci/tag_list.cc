#include "libs/oci/tag_list.h"

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "libs/oci/reference.h"
#include "nlohmann/json.hpp"

namespace werf::oci {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 64;

// Accepts an object at the top; collects the strings of its first "tags"
// array (null means none); skips everything else.
class TagListSax final : public nlohmann::json_sax<Json> {
 public:
  TagListSax(size_t room, TagListPage& page) : room_(room), page_(page) {}

  bool null() override { return Scalar(/*is_null=*/true); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }

  bool string(string_t& value) override {
    if (!in_tags_array_ || depth_ != 2) return Scalar();
    if (!ValidateTag(value).ok()) {
      ++page_.invalid_tags;
      return true;
    }
    if (page_.tags.size() == room_) {
      page_.over_cap = true;
      return false;  // stop: nothing after this is kept
    }
    page_.tags.push_back(std::move(value));
    return true;
  }

  bool start_object(std::size_t) override {
    if (depth_ == 0) top_is_object_ = true;
    return Enter(/*array=*/false);
  }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(/*array=*/true); }
  bool end_array() override { return Leave(); }

  bool key(string_t& name) override {
    tags_value_next_ = depth_ == 1 && name == "tags" && !seen_tags_;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) override {
    error_ = absl::StrCat("not valid JSON at byte ", position, " (", error.what(), ")");
    return false;
  }

  std::string error() const {
    if (!error_.empty()) return error_;
    if (!top_is_object_) return "not a JSON object";
    if (depth_exceeded_) return absl::StrCat("nested deeper than ", kMaxDepth, " levels");
    if (tags_not_array_) return "\"tags\" is neither an array nor null";
    return "";
  }

 private:
  bool Scalar(bool is_null = false) {
    if (depth_ == 0) return false;  // a bare scalar is no tag list
    if (tags_value_next_) {
      tags_value_next_ = false;
      seen_tags_ = true;
      if (!is_null) {
        tags_not_array_ = true;
        return false;
      }
    }
    return true;
  }

  bool Enter(bool array) {
    if (depth_ == 0 && array) return false;
    if (++depth_ > kMaxDepth) {
      depth_exceeded_ = true;
      return false;
    }
    if (tags_value_next_) {
      tags_value_next_ = false;
      seen_tags_ = true;
      if (!array) {
        tags_not_array_ = true;
        return false;
      }
      in_tags_array_ = true;
    }
    return true;
  }

  bool Leave() {
    if (depth_ == 2 && in_tags_array_) in_tags_array_ = false;
    --depth_;
    return true;
  }

  const size_t room_;
  TagListPage& page_;
  int depth_ = 0;
  bool top_is_object_ = false;
  bool tags_value_next_ = false;
  bool seen_tags_ = false;
  bool in_tags_array_ = false;
  bool tags_not_array_ = false;
  bool depth_exceeded_ = false;
  std::string error_;
};

}  // namespace

absl::StatusOr<TagListPage> ParseTagListPage(absl::string_view json, size_t room) {
  TagListPage page;
  TagListSax sax(room, page);
  const bool complete = Json::sax_parse(json.begin(), json.end(), &sax);
  if (!complete && !page.over_cap) {
    std::string error = sax.error();
    if (error.empty()) error = "not a tag list";
    return absl::DataLossError(absl::StrCat("tag list response is ", error));
  }
  return page;
}

}  // namespace werf::oci
