#include "services/poller/poller_flags.h"

#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(int, max_concurrent_polls, 10, "registry polls in flight at once, across all repositories");
ABSL_FLAG(double, registry_qps, 20,
          "per registry host: polls per second allowed on average (20/s is 18,000 polls per "
          "15-minute interval)");
ABSL_FLAG(int, registry_burst, 40, "per registry host: polls allowed in a burst");
ABSL_FLAG(absl::Duration, registry_timeout, absl::Seconds(30), "timeout of one registry request");
ABSL_FLAG(absl::Duration, failure_backoff, absl::Seconds(30),
          "retry delay after a failed poll; doubles per failure up to --failure_backoff_max");
ABSL_FLAG(absl::Duration, failure_backoff_max, absl::Minutes(8), "cap of the retry delay");
ABSL_FLAG(int, max_tags, 100000, "cap on the tags read from one repository");
ABSL_FLAG(std::string, webhook_address, "",
          "host:port of the registry webhook receiver (POST /hooks/<source>); empty: no receiver");
ABSL_FLAG(std::string, webhook_secret, "werf-operator-system/werf-operator-webhooks",
          "namespace/name of the Secret holding one key per webhook source (its secret or token)");
ABSL_FLAG(int64_t, webhook_max_body_bytes, 1 << 20, "larger webhook bodies are refused with 413");
ABSL_FLAG(double, webhook_qps, 50, "per webhook source and poller replica: deliveries per second on average");
ABSL_FLAG(int, webhook_burst, 500, "per webhook source and poller replica: deliveries in a burst");

namespace werf::poller {

absl::StatusOr<PollerFlags> ReadPollerFlags() {
  PollerFlags flags{
      .max_concurrent_polls = absl::GetFlag(FLAGS_max_concurrent_polls),
      .registry_qps = absl::GetFlag(FLAGS_registry_qps),
      .registry_burst = absl::GetFlag(FLAGS_registry_burst),
      .registry_timeout = absl::GetFlag(FLAGS_registry_timeout),
      .failure_backoff = absl::GetFlag(FLAGS_failure_backoff),
      .failure_backoff_max = absl::GetFlag(FLAGS_failure_backoff_max),
      .max_tags = absl::GetFlag(FLAGS_max_tags),
      .webhook_address = absl::GetFlag(FLAGS_webhook_address),
      .webhook_secret_namespace = {},
      .webhook_secret_name = {},
      .webhook_max_body_bytes = absl::GetFlag(FLAGS_webhook_max_body_bytes),
      .webhook_qps = absl::GetFlag(FLAGS_webhook_qps),
      .webhook_burst = absl::GetFlag(FLAGS_webhook_burst),
  };
  const std::string webhook_secret = absl::GetFlag(FLAGS_webhook_secret);
  const std::vector<std::string> secret_ref = absl::StrSplit(webhook_secret, absl::MaxSplits('/', 1));
  if (secret_ref.size() != 2 || secret_ref[0].empty() || secret_ref[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--webhook_secret must be namespace/name, got \"", webhook_secret, "\""));
  }
  flags.webhook_secret_namespace = secret_ref[0];
  flags.webhook_secret_name = secret_ref[1];
  return flags;
}

}  // namespace werf::poller
