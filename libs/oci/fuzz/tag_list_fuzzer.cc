// libFuzzer target: the streaming tag-list parser on arbitrary bytes, which is
// what a hostile or broken registry can send. Every kept tag must be valid.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "libs/oci/reference.h"
#include "libs/oci/tag_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<werf::oci::TagListPage> page = werf::oci::ParseTagListPage(json, /*room=*/16);
  if (!page.ok()) return 0;
  if (page->tags.size() > 16) __builtin_trap();
  for (const std::string& tag : page->tags) {
    if (!werf::oci::ValidateTag(tag).ok()) __builtin_trap();
  }
  return 0;
}
