// Flags only the workers (poller, converger) take.
#ifndef WERF_OPERATOR_LIBS_COMMON_WORKER_FLAGS_H_
#define WERF_OPERATOR_LIBS_COMMON_WORKER_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, controller_address);

#endif  // WERF_OPERATOR_LIBS_COMMON_WORKER_FLAGS_H_
