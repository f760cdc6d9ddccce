// Cutting text to a byte budget without splitting a UTF-8 character. Status fields, Events and
// JSON logs must stay valid UTF-8 (nlohmann::json throws on a broken sequence, the API server
// replaces it), and log tails and messages are cut to fixed sizes all over the operator.
#ifndef WERF_OPERATOR_LIBS_COMMON_UTF8_H_
#define WERF_OPERATOR_LIBS_COMMON_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace werf::common {

// The longest prefix of `text` of at most `max_bytes` bytes that ends on a character boundary.
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes);

// The longest suffix of `text` of at most `max_bytes` bytes that starts on a character boundary.
absl::string_view Utf8Suffix(absl::string_view text, size_t max_bytes);

}  // namespace werf::common

#endif  // WERF_OPERATOR_LIBS_COMMON_UTF8_H_
