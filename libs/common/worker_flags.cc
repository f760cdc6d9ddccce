#include "libs/common/worker_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, controller_address,
          "werf-controller.werf-operator-system.svc:9090",
          "host:port of the controller's hub; workers dial it and keep one stream open");
