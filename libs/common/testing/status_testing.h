// Status assertions for the registry client's tests. (GoogleTest 1.12 and
// Debian's Abseil ship none.)
#ifndef WERF_OPERATOR_LIBS_COMMON_TESTING_STATUS_TESTING_H_
#define WERF_OPERATOR_LIBS_COMMON_TESTING_STATUS_TESTING_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "gtest/gtest.h"

#define WERF_TESTING_CONCAT_INNER_(a, b) a##b
#define WERF_TESTING_CONCAT_(a, b) WERF_TESTING_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr)                                        \
  do {                                                         \
    const ::absl::Status werf_status_ = (expr);                \
    ASSERT_TRUE(werf_status_.ok()) << #expr << ": " << werf_status_; \
  } while (false)

#define EXPECT_OK(expr)                                        \
  do {                                                         \
    const ::absl::Status werf_status_ = (expr);                \
    EXPECT_TRUE(werf_status_.ok()) << #expr << ": " << werf_status_; \
  } while (false)

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(WERF_TESTING_CONCAT_(werf_statusor_, __LINE__), lhs, rexpr)

#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr)                     \
  auto statusor = (rexpr);                                                   \
  ASSERT_TRUE(statusor.ok()) << #rexpr << ": " << statusor.status();         \
  lhs = std::move(statusor).value()

namespace werf::status_testing {

// gMock's string matchers want std::string; Debian's absl::string_view is not std::string_view.
inline std::string Message(const absl::Status& status) { return std::string(status.message()); }

}  // namespace werf::status_testing

#endif  // WERF_OPERATOR_LIBS_COMMON_TESTING_STATUS_TESTING_H_
