#include "libs/common/net_address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace werf::common {
namespace {

struct Case {
  const char* input;
  bool ok;
  const char* host;
  int port;
};

class ParseHostPortTest : public ::testing::TestWithParam<Case> {};

TEST_P(ParseHostPortTest, Parses) {
  const Case& c = GetParam();
  const absl::StatusOr<HostPort> parsed = ParseHostPort(c.input);
  ASSERT_EQ(parsed.ok(), c.ok) << c.input << ": " << parsed.status();
  if (!c.ok) {
    EXPECT_THAT(parsed.status().message(), ::testing::HasSubstr(c.input));
    return;
  }
  EXPECT_EQ(parsed->host, c.host);
  EXPECT_EQ(parsed->port, c.port);
  EXPECT_EQ(ParseHostPort(parsed->ToString())->port, c.port);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseHostPortTest,
    ::testing::Values(Case{"0.0.0.0:9090", true, "0.0.0.0", 9090},
                      Case{"127.0.0.1:0", true, "127.0.0.1", 0},
                      Case{"localhost:8080", true, "localhost", 8080},
                      Case{"[::]:0", true, "::", 0}, Case{"[::1]:65535", true, "::1", 65535},
                      Case{"9090", false, "", 0}, Case{":9090", false, "", 0},
                      Case{"::1:80", false, "", 0}, Case{"[::1:80", false, "", 0},
                      Case{"host:65536", false, "", 0}, Case{"host:-1", false, "", 0},
                      Case{"host:http", false, "", 0}));

}  // namespace
}  // namespace werf::common
