// The dashboard in a real browser: headless Chromium (Debian's `chromium`) loads the
// page from the real gateway, the page follows the SSE stream, and the DOM it builds
// must show the bundles with their phases and tags. A screenshot is kept in the build
// directory (gateway-dashboard.png) for people to look at.
#include <sys/stat.h>

#include <cstdlib>
#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/testing/status_testing.h"
#include "services/gateway/integration/gateway_test_support.h"
#include "test/support/crd.h"

namespace werf::gateway::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kBuildDir[] = WERF_BUILD_DIR;

// Chromium with everything that would reach the network or need a desktop switched off.
std::vector<std::string> Chromium(const std::string& profile, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      absl::StrCat("--user-data-dir=", profile), "--virtual-time-budget=5000"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

class GatewayDashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testbed::RunCommand({"chromium", "--version"}).value_or(testbed::CommandResult{}).exit_code != 0) {
      FAIL() << "headless Chromium is needed: apt-get install -y chromium (scripts/install-deps.sh)";
    }
    ASSERT_OK(test_support::InstallWerfBundleCrd());
    absl::StatusOr<std::unique_ptr<TestNamespace>> created = TestNamespace::Create("gw-dash");
    ASSERT_TRUE(created.ok()) << created.status();
    ns_ = *std::move(created);
    ASSERT_TRUE(ApplyBundle(ns(), "storefront").ok());
    ASSERT_TRUE(ApplyBundle(ns(), "payments").ok());
    ASSERT_TRUE(ApplyBundle(ns(), "search").ok());
    ASSERT_TRUE(PatchBundleStatus(ns(), "storefront",
                                  {{"phase", "Synced"}, {"lastAppliedTag", "2.4.1"}, {"latestTag", "2.4.1"},
                                   {"lastSyncTime", "2026-01-02T03:04:05Z"}})
                    .ok());
    ASSERT_TRUE(PatchBundleStatus(ns(), "payments",
                                  {{"phase", "Failed"}, {"lastAppliedTag", "1.0.3"}, {"latestTag", "1.1.0"},
                                   {"consecutiveFailures", 5},
                                   {"lastErrorMessage", "werf bundle apply exited 1: release payments failed"},
                                   {"history", nlohmann::json::array(
                                       {{{"tag", "1.1.0"}, {"jobName", "payments-1-1-0-5"},
                                         {"startedAt", "2026-01-02T03:00:00Z"},
                                         {"finishedAt", "2026-01-02T03:01:30Z"}, {"result", "Failed"},
                                         {"message", "Job failed with exit code 1"}, {"revision", 4},
                                         {"reportStatus", "failed"}, {"completedOperations", 3},
                                         {"failedOperations", 1}, {"canceledOperations", 2},
                                         {"failedOperationNames", nlohmann::json::array({"create Deployment/payments-api"})},
                                         {"logTail", "Error: deployment payments-api: timed out"}},
                                        {{"tag", "1.0.3"}, {"jobName", "payments-1-0-3-4"}, {"result", "Succeeded"},
                                         {"revision", 3}, {"reportStatus", "deployed"},
                                         {"completedOperations", 5}, {"driftCorrection", true}}})}})
                    .ok());
    ASSERT_TRUE(PatchBundleStatus(ns(), "search",
                                  {{"phase", "Syncing"}, {"latestTag", "0.9.0"},
                                   {"activeJob", {{"name", "search-0-9-0-1a2b"}, {"tag", "0.9.0"}}}})
                    .ok());
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start();
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    char profile[] = "/tmp/gateway-chromium-XXXXXX";
    ASSERT_NE(::mkdtemp(profile), nullptr);
    profile_ = profile;
  }

  void TearDown() override {
    if (HasFailure() && ns_ != nullptr) std::printf("%s\n", ForeignStatusWriters(ns()).c_str());
    if (!profile_.empty()) (void)testbed::RunCommand({"rm", "-rf", profile_});
  }

  const std::string& ns() const { return ns_->name(); }
  std::string PageUrl() const {
    return absl::StrCat("http://", gateway_->http_address(), "/?namespace=", ns());
  }

  std::unique_ptr<TestNamespace> ns_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::string profile_;
};

TEST_F(GatewayDashboardTest, ShowsTheBundlesLiveInABrowser) {
  // Chromium's virtual-time budget sometimes ends before the SSE stream's first message on a
  // loaded machine (the page still says "connecting"); a fresh load then gets it.
  absl::StatusOr<testbed::CommandResult> dom;
  for (int attempt = 0; attempt < 3; ++attempt) {
    dom = testbed::RunCommand(Chromium(profile_, {"--dump-dom", PageUrl()}),
                              {.stdin_data = "", .timeout = absl::Seconds(90), .env = {}, .working_dir = ""});
    ASSERT_TRUE(dom.ok()) << dom.status();
    ASSERT_EQ(dom->exit_code, 0) << dom->err;
    if (absl::StrContains(dom->out, "class=\"connection live\"")) break;
  }
  const std::string& html = dom->out;
  EXPECT_THAT(html, HasSubstr("class=\"connection live\"")) << "the SSE stream reached SYNCED";
  EXPECT_THAT(html, HasSubstr(absl::StrCat("data-key=\"", ns(), "/storefront\" data-phase=\"synced\"")));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("data-key=\"", ns(), "/payments\" data-phase=\"failed\"")));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("data-key=\"", ns(), "/search\" data-phase=\"syncing\"")));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge phase-failed\">Failed</span>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"tag applied\">2.4.1</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"tag latest pending\" title=\"newer than the applied tag\">1.1.0</td>"));
  EXPECT_THAT(html, HasSubstr("werf bundle apply exited 1: release payments failed"));
  EXPECT_THAT(html, HasSubstr("search-0-9-0-1a2b (0.9.0)"));
  EXPECT_THAT(html, HasSubstr("<span id=\"shown\">3 of 3 bundles</span>")) << "only the namespace asked for";
  // The outcome as data: the last one in a line, the history with werf's report when opened.
  EXPECT_THAT(html, HasSubstr("<summary>Failed 1.1.0: 3 completed, 1 failed, 2 canceled</summary>"));
  EXPECT_THAT(html, HasSubstr("revision 4 · 3 completed, 1 failed, 2 canceled · took 90s"));
  EXPECT_THAT(html, HasSubstr("<ul class=\"failed-operations\"><li>create Deployment/payments-api</li></ul>"));
  EXPECT_THAT(html, HasSubstr("<pre class=\"log-tail\">Error: deployment payments-api: timed out</pre>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge drift\">drift correction</span>"));

  const std::string screenshot = absl::StrCat(kBuildDir, "/gateway-dashboard.png");
  std::remove(screenshot.c_str());
  absl::StatusOr<testbed::CommandResult> shot = testbed::RunCommand(
      Chromium(profile_, {absl::StrCat("--screenshot=", screenshot), "--window-size=1280,800", PageUrl()}),
      {.stdin_data = "", .timeout = absl::Seconds(90), .env = {}, .working_dir = ""});
  ASSERT_TRUE(shot.ok()) << shot.status();
  EXPECT_EQ(shot->exit_code, 0) << shot->err;
  struct stat info {};
  ASSERT_EQ(::stat(screenshot.c_str(), &info), 0) << screenshot;
  EXPECT_GT(info.st_size, 10000) << "a PNG of the table";
}

}  // namespace
}  // namespace werf::gateway::testing
