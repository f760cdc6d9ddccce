#include "services/poller/poller_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::poller {
namespace {

TEST(ReadPollerFlagsTest, DefaultsAreTheDocumentedOnes) {
  absl::FlagSaver saver;
  absl::StatusOr<PollerFlags> flags = ReadPollerFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->max_concurrent_polls, 10);
  EXPECT_EQ(flags->registry_qps, 20);
  EXPECT_EQ(flags->registry_burst, 40);
  EXPECT_EQ(flags->registry_timeout, absl::Seconds(30));
  EXPECT_EQ(flags->failure_backoff, absl::Seconds(30));
  EXPECT_EQ(flags->failure_backoff_max, absl::Minutes(8));
  EXPECT_EQ(flags->max_tags, 100000);
  EXPECT_EQ(flags->webhook_address, "");
  EXPECT_EQ(flags->webhook_secret_namespace, "werf-operator-system");
  EXPECT_EQ(flags->webhook_secret_name, "werf-operator-webhooks");
  EXPECT_EQ(flags->webhook_max_body_bytes, 1 << 20);
  EXPECT_EQ(flags->webhook_qps, 50);
  EXPECT_EQ(flags->webhook_burst, 500);
}

TEST(ReadPollerFlagsTest, WebhookSecretIsNamespaceSlashName) {
  struct Case {
    const char* value;
    bool ok;
    const char* ns;
    const char* name;
  };
  const Case cases[] = {
      {"hooks/webhook-secrets", true, "hooks", "webhook-secrets"},
      {"a/b/c", true, "a", "b/c"},  // split at the first '/', the name then fails in the API
      {"no-slash", false, "", ""},
      {"/name", false, "", ""},
      {"ns/", false, "", ""},
      {"", false, "", ""},
  };
  for (const Case& c : cases) {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_webhook_secret, c.value);
    absl::StatusOr<PollerFlags> flags = ReadPollerFlags();
    ASSERT_EQ(flags.ok(), c.ok) << c.value << ": " << flags.status();
    if (c.ok) {
      EXPECT_EQ(flags->webhook_secret_namespace, c.ns) << c.value;
      EXPECT_EQ(flags->webhook_secret_name, c.name) << c.value;
    } else {
      EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument) << c.value;
      EXPECT_EQ(flags.status().message(),
                absl::StrCat("--webhook_secret must be namespace/name, got \"", c.value, "\""));
    }
  }
}

}  // namespace
}  // namespace werf::poller
