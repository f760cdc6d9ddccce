#include "test/support/unique_name.h"

#include <mutex>
#include <random>

#include "absl/strings/str_cat.h"

namespace werf::test_support {

std::string UniqueName(absl::string_view prefix) {
  static std::mutex mu;
  static std::mt19937_64 random(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  return absl::StrCat(prefix, "-", absl::Hex(random() & 0xffffffffff, absl::kZeroPad10));
}

}  // namespace werf::test_support
