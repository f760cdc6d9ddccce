// Names for the objects a test creates, unique across test binaries that share one test
// bed (and across reruns against a test bed that still holds the last run's objects).
#ifndef WERF_OPERATOR_TEST_SUPPORT_UNIQUE_NAME_H_
#define WERF_OPERATOR_TEST_SUPPORT_UNIQUE_NAME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace werf::test_support {

// "<prefix>-<10 random hex digits>", valid as a Kubernetes name when the prefix is.
// Thread-safe.
std::string UniqueName(absl::string_view prefix);

}  // namespace werf::test_support

#endif  // WERF_OPERATOR_TEST_SUPPORT_UNIQUE_NAME_H_
