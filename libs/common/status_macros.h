// Early-return helpers for absl::Status and absl::StatusOr. Debian's Abseil
// (20220623) does not ship absl/status/status_macros.h, so the project keeps its
// own, spelled the way Abseil and gRPC spell theirs.
#ifndef WERF_OPERATOR_LIBS_COMMON_STATUS_MACROS_H_
#define WERF_OPERATOR_LIBS_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WERF_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define WERF_STATUS_MACROS_CONCAT_(a, b) WERF_STATUS_MACROS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function
// when it is not OK.
#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    if (::absl::Status werf_status_ = (expr); !werf_status_.ok()) \
      return werf_status_;                                      \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from the
// enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`auto x`) or an existing variable.
#define ASSIGN_OR_RETURN(lhs, rexpr)                                             \
  ASSIGN_OR_RETURN_IMPL_(                                                        \
      WERF_STATUS_MACROS_CONCAT_(werf_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // WERF_OPERATOR_LIBS_COMMON_STATUS_MACROS_H_
